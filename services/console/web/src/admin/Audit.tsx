import { Badge, Button, Group, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { consoleApi, ok } from "../client";
import { when } from "../format";
import { useSettled } from "../hooks";

const VERBS: Record<string, string> = { POST: "made or did", PUT: "replaced", PATCH: "changed", DELETE: "removed" };

// "/api/contacts/v1/contacts/c_1" → "contacts · /v1/contacts/c_1"; the console's own as is.
function what(path: string): string {
  const m = /^\/api\/([a-z]+)(\/.*)$/.exec(path);
  return m ? `${m[1]} · ${m[2]}` : `console · ${path}`;
}

export function AuditPage() {
  const [actor, setActor] = useState("");
  const [contains, setContains] = useState("");
  const [before, setBefore] = useState<string[]>([]); // the pages walked back through
  const filters = useSettled({ actor: actor.trim(), contains: contains.trim() }, 400);
  const page = before[before.length - 1];
  const { data, error } = useQuery({
    queryKey: ["audit", filters, page],
    queryFn: () => ok(consoleApi.GET("/v1/audit", { params: { query: { limit: 50, ...filters, before: page } } })),
  });
  return (
    <Stack>
      <Title order={2}>Audit trail</Title>
      <Text c="dimmed" maw={760}>
        Every change asked through the console — by people, sign-ins included, and by keys calling the console — with who asked and how it was answered. Kept for 400 days. (A key calling a service
        directly is in that service's own records.)
      </Text>
      <Group align="flex-end">
        <TextInput label="Who" placeholder="an email or a key's name" value={actor} onChange={(e) => { setActor(e.currentTarget.value); setBefore([]); }} w={280} />
        <TextInput label="What" placeholder="e.g. /v1/workflows" value={contains} onChange={(e) => { setContains(e.currentTarget.value); setBefore([]); }} w={280} />
      </Group>
      {error && <Text c="red">{error.message}</Text>}
      <Table.ScrollContainer minWidth={760}>
        <Table striped aria-label="Audit trail">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Who</Table.Th>
              <Table.Th>Did</Table.Th>
              <Table.Th>What</Table.Th>
              <Table.Th>Answer</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(data?.entries ?? []).map((e, i) => (
              <Table.Tr key={`${e.at}-${i}`} data-testid="audit-row">
                <Table.Td style={{ whiteSpace: "nowrap" }}>{when(e.at)}</Table.Td>
                <Table.Td>{e.actor}</Table.Td>
                <Table.Td>{e.path === "/auth/sign-in" ? "signed in" : (VERBS[e.method] ?? e.method)}</Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {what(e.path)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={e.status < 300 ? "teal" : e.status < 500 ? "yellow" : "red"}>
                    {e.status < 300 ? "done" : e.status === 401 ? "refused: who?" : e.status === 403 ? "not allowed" : e.status}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group>
        {before.length > 0 && (
          <Button variant="default" onClick={() => setBefore(before.slice(0, -1))}>
            Newer
          </Button>
        )}
        {data?.before && (
          <Button variant="default" onClick={() => setBefore([...before, data.before!])}>
            Older
          </Button>
        )}
      </Group>
    </Stack>
  );
}
