import { Anchor, Button, Group, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { automation, ok } from "../client";
import { TemplateEditor } from "./TemplateEditor";
import { ago } from "../format";

// Open in the editor: nothing, a new template, or a saved one (its latest version).
type Open = { kind: "new"; key: number } | { kind: "saved"; id: string } | null;

export function EmailsPage() {
  const list = useQuery({ queryKey: ["email-templates"], queryFn: () => ok(automation.GET("/v1/email-templates")) });
  const [open, setOpen] = useState<Open>(null);
  const saved = open?.kind === "saved" ? list.data?.find((t) => t.id === open.id) : undefined;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Emails</Title>
        <Button variant="light" onClick={() => setOpen({ kind: "new", key: Date.now() })}>
          New template
        </Button>
      </Group>
      <Text c="dimmed" maw={760}>
        Designed emails for workflows and campaigns. Each save keeps a version; workflows send the latest unless a step pins one. Preview an email as any contact would get it, and send yourself a test.
      </Text>
      {open?.kind === "new" && <TemplateEditor key={open.key} onSaved={(t) => setOpen({ kind: "saved", id: t.id })} onDone={() => setOpen(null)} />}
      {saved && <TemplateEditor key={`${saved.id}:${saved.version}`} template={saved} onSaved={(t) => setOpen({ kind: "saved", id: t.id })} onDone={() => setOpen(null)} />}
      {list.error && <Text c="red">{list.error.message}</Text>}
      <Table.ScrollContainer minWidth={560}>
        <Table striped aria-label="Email templates">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Template</Table.Th>
              <Table.Th>Subject</Table.Th>
              <Table.Th>Version</Table.Th>
              <Table.Th>Changed</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(list.data ?? []).map((t) => (
              <Table.Tr key={t.id} data-testid="template-row">
                <Table.Td>
                  <Anchor component="button" onClick={() => setOpen({ kind: "saved", id: t.id })} aria-label={`Open ${t.name}`}>
                    {t.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>{t.subject}</Table.Td>
                <Table.Td>{t.version}</Table.Td>
                <Table.Td>
                  {ago(t.updated_at)} by {t.updated_by}
                </Table.Td>
              </Table.Tr>
            ))}
            {list.data?.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={4}>
                  <Text c="dimmed">No templates yet: New template starts from a simple layout.</Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
