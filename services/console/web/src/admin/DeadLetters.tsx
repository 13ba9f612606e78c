import { Alert, Badge, Button, Code, Group, Modal, Select, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { consoleApi, ok } from "../client";
import { ago } from "../format";

function Detail({ letter, onClose }: { letter: string; onClose: () => void }) {
  const { data, error } = useQuery({ queryKey: ["dead-letter", letter], queryFn: () => ok(consoleApi.GET("/v1/dead-letters/{ref}", { params: { path: { ref: letter } } })) });
  return (
    <Modal opened onClose={onClose} title={`Dead letter ${letter}`} size="xl">
      {error && <Text c="red">{error.message}</Text>}
      {data && (
        <Stack gap="xs" data-testid="dead-letter">
          <Text size="sm">
            <b>Why:</b> {data.reason ?? "—"}
          </Text>
          {data.error && <Code block>{data.error}</Code>}
          <Text size="sm">
            <b>From:</b> {data.origin}, given up by {data.group ?? "?"} {data.failed_at ? ago(data.failed_at) : ""}
          </Text>
          <Text size="sm" fw={600}>
            The message
          </Text>
          <Code block style={{ maxHeight: 320, overflow: "auto" }}>
            {typeof data.message === "string" ? data.message : JSON.stringify(data.message, null, 2)}
          </Code>
          <Alert color="blue" title="Once the cause is fixed">
            Re-publish it to where it came from (each service applies an event once, so replaying twice changes nothing): <Code>{data.replay}</Code>
          </Alert>
        </Stack>
      )}
    </Modal>
  );
}

export function DeadLettersPage() {
  const [group, setGroup] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const { data, error, isFetching, refetch } = useQuery({
    queryKey: ["dead-letters", group],
    queryFn: () => ok(consoleApi.GET("/v1/dead-letters", { params: { query: { group } } })),
  });
  return (
    <Stack>
      <Title order={2}>Dead letters</Title>
      <Text c="dimmed" maw={760}>
        Messages a service could not process, kept with the reason instead of blocking everything behind them. Nothing here is lost: fix the cause, then replay.
      </Text>
      <Group align="flex-end">
        <Select
          label="Consumer"
          placeholder="Every consumer"
          data={Object.entries(data?.groups ?? {}).map(([g, n]) => ({ value: g, label: `${g} (${n})` }))}
          value={group}
          onChange={setGroup}
          clearable
          w={320}
        />
        <Button variant="light" onClick={() => refetch()} loading={isFetching}>
          Refresh
        </Button>
      </Group>
      {error && <Text c="red">{error.message}</Text>}
      {data && (
        <Text size="sm" data-testid="dead-letter-total">
          {data.total === 0 ? "No dead letters: every message was processed." : `${data.total.toLocaleString()} dead letters`}
        </Text>
      )}
      <Table.ScrollContainer minWidth={760}>
        <Table striped aria-label="Dead letters">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Consumer</Table.Th>
              <Table.Th>Message</Table.Th>
              <Table.Th>Why</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(data?.letters ?? []).map((l) => (
              <Table.Tr key={l.ref} data-testid="dead-letter-row">
                <Table.Td style={{ whiteSpace: "nowrap" }}>{l.failed_at ? ago(l.failed_at) : "—"}</Table.Td>
                <Table.Td>
                  <Badge variant="light" color="gray">
                    {l.group ?? "?"}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{l.event_type ?? `${l.size} bytes`}</Text>
                  <Text size="xs" c="dimmed">
                    {l.origin}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" lineClamp={2}>
                    {l.reason}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Button size="compact-xs" variant="subtle" onClick={() => setOpen(l.ref)} aria-label={`Open dead letter ${l.ref}`}>
                    Open
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {open && <Detail letter={open} onClose={() => setOpen(null)} />}
    </Stack>
  );
}
