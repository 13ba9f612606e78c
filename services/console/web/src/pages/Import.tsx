import { Alert, Button, Card, FileInput, Group, Progress, Stack, Table, Text, Title } from "@mantine/core";
import { IconUpload } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError, svc } from "../api";
import type { ImportJob } from "../types";

export function ImportPage() {
  const [file, setFile] = useState<File | null>(null);
  const [job, setJob] = useState<string | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const progress = useQuery({
    queryKey: ["import", job],
    queryFn: () => svc.get<ImportJob>("contacts", `/contacts/imports/${job}`),
    enabled: !!job,
    refetchInterval: (q) => (q.state.data && q.state.data.status !== "running" ? false : 500),
  });
  const start = async () => {
    if (!file) return;
    setBusy(true);
    setError("");
    try {
      const started = await svc.upload<ImportJob>("contacts", "/contacts/imports", file, "text/csv");
      setJob(started.id);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const p = progress.data;
  const share = p && file ? (p.status === "running" ? Math.min(99, (p.bytes / Math.max(1, file.size)) * 100) : 100) : 0;
  return (
    <Stack maw={900}>
      <Title order={2}>Import contacts</Title>
      <Card withBorder>
        <Stack>
          <Text size="sm">
            A CSV file with a header row. Known columns (email, first_name, last_name, company, phone, title, tags, owner_id, lifecycle_stage…) fill those
            fields; any other column becomes a custom field. A row whose email exists updates that contact; a bad row is skipped and listed below with its line.
          </Text>
          <FileInput label="CSV file" accept=".csv,text/csv" value={file} onChange={setFile} placeholder="Choose a file" clearable />
          {error && <Alert color="red">{error}</Alert>}
          <Group>
            <Button leftSection={<IconUpload size={16} />} disabled={!file || (p?.status === "running")} loading={busy} onClick={start}>
              Import
            </Button>
          </Group>
        </Stack>
      </Card>
      {p && (
        <Card withBorder data-testid="import-progress">
          <Stack gap="xs">
            <Group justify="space-between">
              <Title order={4}>{p.status === "running" ? "Importing…" : p.status === "done" ? "Import finished" : "Import failed"}</Title>
              <Text size="sm">{p.rows_read} rows read</Text>
            </Group>
            <Progress value={share} animated={p.status === "running"} size="xl" aria-label="Import progress" />
            <Text size="sm">
              {p.created} created · {p.updated} updated · {p.failed} skipped
            </Text>
            {p.reason && <Alert color="red">{p.reason}</Alert>}
            {p.errors.length > 0 && (
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Line</Table.Th>
                    <Table.Th>Why it was skipped</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {p.errors.slice(0, 50).map((e, i) => (
                    <Table.Tr key={i}>
                      <Table.Td>{String(e.line ?? "")}</Table.Td>
                      <Table.Td>{String(e.error ?? e.message ?? JSON.stringify(e))}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </Stack>
        </Card>
      )}
    </Stack>
  );
}
