import { Alert, Button, Card, FileInput, Group, Progress, Stack, Table, Text, Title } from "@mantine/core";
import { IconUpload } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import Papa from "papaparse";
import { useState } from "react";
import { ApiError } from "../api";
import { contacts, fileBody, ok } from "../client";
import { ColumnMapping, type Preview } from "./ColumnMapping";

// The header and first rows of a CSV, read from its first 64 KiB in the browser.
async function previewOf(file: File): Promise<Preview> {
  const head = await file.slice(0, 65_536).text();
  const parsed = Papa.parse<string[]>(head, { preview: 6, skipEmptyLines: true });
  const [header = [], ...rows] = parsed.data;
  return { header: header.map((h) => h.trim()), rows };
}

export function ImportPage() {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const guess = useQuery({
    queryKey: ["import-columns", preview?.header],
    queryFn: () => ok(contacts.GET("/v1/contacts/imports/columns", { params: { query: { header: preview?.header ?? [] } } })),
    enabled: !!preview?.header.length,
  });
  const guessed = Object.fromEntries((guess.data?.columns ?? []).map((c) => [c.header, c.field]));
  const choose = async (chosen: File | null) => {
    setFile(chosen);
    setMapping({});
    setJob(null);
    setError("");
    setPreview(chosen ? await previewOf(chosen) : null);
  };
  const [job, setJob] = useState<string | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const progress = useQuery({
    queryKey: ["import", job],
    queryFn: () => ok(contacts.GET("/v1/contacts/imports/{job_id}", { params: { path: { job_id: job ?? "" } } })),
    enabled: !!job,
    refetchInterval: (q) => (q.state.data && q.state.data.status !== "running" ? false : 500),
  });
  const start = async () => {
    if (!file) return;
    setBusy(true);
    setError("");
    try {
      const columns = JSON.stringify({ ...guessed, ...mapping });
      const started = await ok(contacts.POST("/v1/contacts/imports", { params: { query: { columns } }, ...fileBody(file, "text/csv") }));
      setJob(started.id);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const p = progress.data;
  // How far into the file the import is (the service counts the bytes it has read).
  const share = p ? (p.status === "running" ? Math.min(99, (p.bytes_read / Math.max(1, p.bytes)) * 100) : 100) : 0;
  return (
    <Stack maw={900}>
      <Title order={2}>Import contacts</Title>
      <Card withBorder>
        <Stack>
          <Text size="sm">
            A CSV file with a header row (UTF-8, as spreadsheets export it). Once chosen, each column shows with its first values and the field it will
            fill: usual names (E-mail, First name, Mobile…) are recognised, any other column becomes a custom field, and you can change either or leave a
            column out. A row whose email exists updates that contact; a bad row is skipped and listed below with its line.
          </Text>
          <FileInput label="CSV file" accept=".csv,text/csv" value={file} onChange={choose} placeholder="Choose a file" clearable />
          {preview && (
            <Stack gap="xs" data-testid="import-preview">
              <Text size="sm" fw={600}>
                {preview.header.length} columns. Check where each goes before importing:
              </Text>
              {guess.error && <Alert color="red">{guess.error.message}</Alert>}
              {guess.data && <ColumnMapping preview={preview} fields={guess.data.fields} guessed={guessed} mapping={mapping} onChange={setMapping} />}
            </Stack>
          )}
          {error && <Alert color="red">{error}</Alert>}
          <Group>
            <Button leftSection={<IconUpload size={16} />} disabled={!file || !guess.data || p?.status === "running"} loading={busy} onClick={start}>
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
              <Text size="sm">
                {p.rows_read.toLocaleString("en-US")} rows read · {Math.round(share)}%
              </Text>
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
