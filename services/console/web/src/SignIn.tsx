import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useState } from "react";
import { useAuth } from "./auth";

export function SignInPage() {
  const { signIn } = useAuth();
  const form = useForm({ initialValues: { email: "", password: "" } });
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = form.onSubmit(async ({ email, password }) => {
    setBusy(true);
    setError("");
    try {
      await signIn(email, password);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  });

  return (
    <Center mih="100vh" bg="gray.0" p="md">
      <Paper component="form" onSubmit={submit} w={380} maw="100%" p="xl" shadow="sm" withBorder>
        <Stack>
          <div>
            <Title order={2} c="indigo.7">
              Lodestone
            </Title>
            <Text c="dimmed" size="sm">
              Sign in to work your leads, campaigns and reports.
            </Text>
          </div>
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <TextInput label="Email" type="email" autoComplete="username" required {...form.getInputProps("email")} />
          <PasswordInput label="Password" autoComplete="current-password" required {...form.getInputProps("password")} />
          <Button type="submit" loading={busy}>
            Sign in
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}
