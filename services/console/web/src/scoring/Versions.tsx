import { Badge, Button, Group, Progress, Select, Stack, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ok, scoring } from "../client";
import { when } from "../format";
import { asDrafts, type Definition, type Job } from "./definition";
import { diff } from "./diff";

// Every saved version, and what changed between any two of them.
export function Versions({ modelId, current, onRestore }: { modelId: string; current: number; onRestore?: (d: Definition) => void }) {
  const { data } = useQuery({ queryKey: ["model-versions", modelId, current], queryFn: () => ok(scoring.GET("/v1/scoring-models/{model_id}/versions", { params: { path: { model_id: modelId } } })).then(asDrafts) });
  const [from, setFrom] = useState<string | null>(null);
  const versions = data ?? [];
  const newest = versions[0];
  const older = versions.find((v) => String(v.version) === from) ?? versions[1];
  if (!newest) return null;
  const changes = older ? diff(older.definition as unknown as Record<string, unknown>, newest.definition as unknown as Record<string, unknown>) : [];
  return (
    <Stack gap="xs" data-testid="model-versions">
      <Group align="flex-end">
        <Text size="sm">
          Version {newest.version}, saved {when(newest.at)} by {newest.by}
        </Text>
        {versions.length > 1 && (
          <Select
            label="Compare with"
            data={versions.slice(1).map((v) => ({ value: String(v.version), label: `version ${v.version} (${when(v.at)})` }))}
            value={older ? String(older.version) : null}
            onChange={setFrom}
            allowDeselect={false}
            w={260}
          />
        )}
        {older && onRestore && (
          <Button size="xs" variant="subtle" onClick={() => onRestore(structuredClone(older.definition))}>
            Edit from version {older.version}
          </Button>
        )}
      </Group>
      {older && (
        <Table.ScrollContainer minWidth={480}>
          <Table aria-label="What changed" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Changed</Table.Th>
                <Table.Th>Version {older.version}</Table.Th>
                <Table.Th>Version {newest.version}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {changes.map((c) => (
                <Table.Tr key={c.what} data-testid="model-change">
                  <Table.Td>{c.what}</Table.Td>
                  <Table.Td>{c.before}</Table.Td>
                  <Table.Td>{c.after}</Table.Td>
                </Table.Tr>
              ))}
              {changes.length === 0 && (
                <Table.Tr>
                  <Table.Td colSpan={3}>
                    <Text c="dimmed">The same rules.</Text>
                  </Table.Td>
                </Table.Tr>
              )}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

const FINISHED = ["done", "superseded", "failed"];

// A re-scoring after a save, followed to its end.
export function Recompute({ job }: { job: Job }) {
  const { data } = useQuery({
    queryKey: ["recompute", job.id],
    queryFn: () => ok(scoring.GET("/v1/scoring-models/recompute/{job_id}", { params: { path: { job_id: job.id } } })),
    initialData: job,
    refetchInterval: (q) => (FINISHED.includes(q.state.data?.status ?? "") ? false : 1000),
  });
  const share = data.contacts ? Math.round((data.done / data.contacts) * 100) : data.status === "done" ? 100 : 0;
  return (
    <Stack gap={4} data-testid="recompute">
      <Group justify="space-between">
        <Text size="sm">
          {data.status === "done" ? "Everyone is re-scored" : data.status === "superseded" ? "Stopped for a newer version" : "Re-scoring everyone from their history"}: {data.done.toLocaleString()} of {data.contacts.toLocaleString()} contacts
        </Text>
        <Badge variant="light" color={data.status === "done" ? "teal" : "blue"}>
          {data.status}
        </Badge>
      </Group>
      <Progress value={share} aria-label="Re-scoring progress" animated={!FINISHED.includes(data.status)} />
    </Stack>
  );
}
