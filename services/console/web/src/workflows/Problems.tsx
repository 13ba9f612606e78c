import { Text } from "@mantine/core";

// What the service said is wrong here, where it is wrong.
export function Problems({ messages }: { messages: string[] }) {
  return (
    <>
      {messages.map((m) => (
        <Text key={m} c="red" size="sm">
          {m}
        </Text>
      ))}
    </>
  );
}
