import { Anchor, Badge, Button, Card, FileButton, Group, Modal, Stack, Table, Text, Title } from "@mantine/core";
import { IconFileUpload, IconPaperclip } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { contacts, downloadUrl, fileForm, ok } from "../client";
import { ago, when } from "../format";
import { useChange } from "../hooks";
import type { Attachment } from "../types";

// What the contacts service accepts (it checks the bytes; this only narrows the file picker).
const ACCEPT = ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp,.rtf,.zip,.png,.jpg,.jpeg,.gif,.webp,.heic,.txt,.csv";

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// A contact's documents (proposals, contracts): every version kept, who uploaded each and when.
export function Attachments({ contactId, writable }: { contactId: string; writable: boolean }) {
  const base = { params: { path: { contact_id: contactId } } };
  const docs = useQuery({ queryKey: ["attachments", contactId], queryFn: () => ok(contacts.GET("/v1/contacts/{contact_id}/attachments", base)) });
  const refresh = [["attachments", contactId], ["timeline", contactId]];
  const add = useChange((file: File) => ok(contacts.POST("/v1/contacts/{contact_id}/attachments", { ...base, ...fileForm(file) })), refresh, "File attached");
  return (
    <Card withBorder>
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={4}>Files</Title>
          {writable && (
            <FileButton onChange={(f) => f && add.mutate(f)} accept={ACCEPT}>
              {(props) => (
                <Button {...props} size="xs" variant="light" leftSection={<IconPaperclip size={14} />} loading={add.isPending}>
                  Attach a file
                </Button>
              )}
            </FileButton>
          )}
        </Group>
        {add.error && (
          <Text c="red" size="sm" data-testid="attachment-error">
            {add.error.message}
          </Text>
        )}
        {docs.error && <Text c="red">{docs.error.message}</Text>}
        {docs.data?.length === 0 && (
          <Text size="sm" c="dimmed">
            No file yet. Proposals, contracts and their new versions go here; each version is kept.
          </Text>
        )}
        {(docs.data ?? []).map((d) => (
          <Document key={d.id} doc={d} contactId={contactId} refresh={refresh} writable={writable} />
        ))}
      </Stack>
    </Card>
  );
}

function Document({ doc, contactId, refresh, writable }: { doc: Attachment; contactId: string; refresh: string[][]; writable: boolean }) {
  const [history, setHistory] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const path = { params: { path: { contact_id: contactId, document_id: doc.id } } };
  const content = `/v1/contacts/${encodeURIComponent(contactId)}/attachments/${encodeURIComponent(doc.id)}/content`;
  const revise = useChange((file: File) => ok(contacts.POST("/v1/contacts/{contact_id}/attachments/{document_id}/revisions", { ...path, ...fileForm(file) })), refresh, "New version uploaded");
  const remove = useChange(() => ok(contacts.DELETE("/v1/contacts/{contact_id}/attachments/{document_id}", path)), refresh, "File deleted");
  const error = revise.error ?? remove.error;
  return (
    <Card withBorder padding="xs" data-testid="attachment">
      <Group gap={6} wrap="nowrap">
        <Anchor href={downloadUrl("contacts", content)} download={doc.filename} truncate="end" fw={500}>
          {doc.filename}
        </Anchor>
        {doc.revision > 1 && (
          <Badge size="xs" variant="light" style={{ flexShrink: 0 }}>
            version {doc.revision}
          </Badge>
        )}
      </Group>
      <Group justify="space-between" gap="xs">
        <Text size="xs" c="dimmed">
          {size(doc.size_bytes)} · {doc.uploaded_by} · {ago(doc.uploaded_at)}
        </Text>
        <Group gap={4}>
          {doc.revisions.length > 1 && (
            <Button size="compact-xs" variant="subtle" onClick={() => setHistory(true)}>
              Versions
            </Button>
          )}
          {writable && (
            <>
              <FileButton onChange={(f) => f && revise.mutate(f)} accept={ACCEPT}>
                {(props) => (
                  <Button {...props} size="compact-xs" variant="subtle" leftSection={<IconFileUpload size={12} />} loading={revise.isPending}>
                    New version
                  </Button>
                )}
              </FileButton>
              <Button size="compact-xs" variant="subtle" color="red" onClick={() => setConfirm(true)}>
                Delete
              </Button>
            </>
          )}
        </Group>
      </Group>
      {error && (
        <Text c="red" size="xs">
          {error.message}
        </Text>
      )}
      <Modal opened={history} onClose={() => setHistory(false)} title={`Versions of ${doc.filename}`} size="lg">
        <Table.ScrollContainer minWidth={420}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Version</Table.Th>
                <Table.Th>File</Table.Th>
                <Table.Th>Uploaded by</Table.Th>
                <Table.Th>When</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {[...doc.revisions].reverse().map((r) => (
                <Table.Tr key={r.revision}>
                  <Table.Td>{r.revision}</Table.Td>
                  <Table.Td>
                    <Anchor href={downloadUrl("contacts", content, { revision: r.revision })} download={r.filename}>
                      {r.filename}
                    </Anchor>{" "}
                    <Text span size="xs" c="dimmed">
                      {size(r.size_bytes)}
                    </Text>
                  </Table.Td>
                  <Table.Td>{r.uploaded_by}</Table.Td>
                  <Table.Td>{when(r.uploaded_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Modal>
      <Modal opened={confirm} onClose={() => setConfirm(false)} title="Delete this file?">
        <Stack>
          <Text size="sm">
            {doc.filename} and {doc.revisions.length === 1 ? "its only version" : `all ${doc.revisions.length} versions`} will be deleted. The timeline keeps a line saying you deleted it.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(false)}>
              Keep it
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => remove.mutate(undefined, { onSuccess: () => setConfirm(false) })}>
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}
