import { Alert, Badge, Button, Card, Group, Menu, Paper, SimpleGrid, Stack, Text, Textarea, TextInput, Title } from "@mantine/core";
import { IconBraces } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { fieldErrors } from "../api";
import { automation, ok } from "../client";
import type { components } from "../generated/automation";
import { useAuth } from "../auth";
import { ago } from "../format";
import { contactByEmail, useChange, useSettled } from "../hooks";

export type Template = components["schemas"]["EmailTemplate"];

interface Draft {
  name: string;
  subject: string;
  mjml: string;
  text: string;
}

export const STARTER: Draft = {
  name: "",
  subject: "{{ first_name or \"Hello\" }}, ",
  mjml: `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text font-size="16px">Hi {{ first_name or "there" }},</mj-text>
        <mj-text>Write your message here.</mj-text>
        <mj-button href="https://example.com">Call to action</mj-button>
        <mj-text font-size="12px" color="#888"><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`,
  text: "",
};

const FIELDS = ["first_name", "last_name", "company", "title", "email", "country", "industry", "score", "grade", "unsubscribe_url"];

// Who the preview is for: a contact by email, or the sample contact.
function usePerson(email: string) {
  const settled = useSettled(email.trim(), 400);
  return useQuery({
    queryKey: ["contact-by-email", settled],
    queryFn: async () => (await contactByEmail(settled)).id,
    enabled: settled.includes("@"),
    retry: false,
  });
}

// Write a template and see it as a chosen contact would get it, as it is typed.
export function TemplateEditor({ template, onSaved, onDone }: { template?: Template; onSaved: (t: Template) => void; onDone: () => void }) {
  const { me } = useAuth();
  const [draft, setDraft] = useState<Draft>(template ? { name: template.name, subject: template.subject, mjml: template.mjml, text: template.text ?? "" } : STARTER);
  const [who, setWho] = useState("");
  const [to, setTo] = useState(me?.email ?? "");
  const body = useRef<HTMLTextAreaElement>(null);
  const set = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });
  const person = usePerson(who);
  const sent = { name: draft.name.trim() || "Untitled", subject: draft.subject, mjml: draft.mjml, text: draft.text.trim() ? draft.text : null };
  const shown = useSettled({ ...sent, contact_id: person.data ?? null }, 400);
  const preview = useQuery({
    queryKey: ["email-preview", shown],
    queryFn: () => ok(automation.POST("/v1/email-templates/preview", { body: shown })),
    enabled: !!shown.subject.trim() && !!shown.mjml.trim(),
    retry: false,
    placeholderData: (previous) => previous,
  });
  const save = useChange(
    () => ok(
        template
          ? automation.PUT("/v1/email-templates/{template_id}", { params: { path: { template_id: template.id } }, body: sent })
          : automation.POST("/v1/email-templates", { body: sent }),
      ),
    [["email-templates"]],
    template ? `Saved as version ${template.version + 1}` : "Template saved",
  );
  const testSend = useChange(
    () => ok(automation.POST("/v1/email-templates/{template_id}/test-send", { params: { path: { template_id: template?.id ?? "" } }, body: { to: to.trim(), contact_id: person.data ?? null } })),
    [],
    `Test sent to ${to.trim()}`,
  );
  const wrong = fieldErrors(preview.error, save.error);
  const changed = !template || draft.name !== template.name || draft.subject !== template.subject || draft.mjml !== template.mjml || draft.text !== (template.text ?? "");
  const insert = (field: string) => {
    const at = body.current?.selectionStart ?? draft.mjml.length;
    set({ mjml: `${draft.mjml.slice(0, at)}{{ ${field} }}${draft.mjml.slice(at)}` });
  };
  return (
    <Card withBorder data-testid="template-editor">
      <Stack>
        <Group justify="space-between">
          <Title order={4}>{template ? `${template.name} — version ${template.version}` : "New email template"}</Title>
          {template && (
            <Text size="sm" c="dimmed">
              Last saved {ago(template.updated_at)} by {template.updated_by}
            </Text>
          )}
        </Group>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Stack gap="xs">
            <TextInput label="Template name" value={draft.name} onChange={(e) => set({ name: e.currentTarget.value })} error={wrong.name} />
            <TextInput label="Subject" value={draft.subject} onChange={(e) => set({ subject: e.currentTarget.value })} error={wrong.subject} description='Fields fill in per person: {{ first_name or "there" }}' />
            <Group justify="space-between" align="flex-end">
              <Text size="sm" fw={500}>
                Body (MJML)
              </Text>
              <Menu>
                <Menu.Target>
                  <Button size="compact-xs" variant="light" leftSection={<IconBraces size={14} />}>
                    Insert a field
                  </Button>
                </Menu.Target>
                <Menu.Dropdown>
                  {FIELDS.map((f) => (
                    <Menu.Item key={f} onClick={() => insert(f)}>
                      {f}
                    </Menu.Item>
                  ))}
                </Menu.Dropdown>
              </Menu>
            </Group>
            <Textarea ref={body} aria-label="Body (MJML)" autosize minRows={12} maxRows={28} value={draft.mjml} onChange={(e) => set({ mjml: e.currentTarget.value })} error={wrong.mjml} styles={{ input: { fontFamily: "monospace", fontSize: 13 } }} />
            <Textarea label="Plain-text part (optional)" description="Made from the HTML when empty" autosize minRows={2} value={draft.text} onChange={(e) => set({ text: e.currentTarget.value })} error={wrong.text} />
          </Stack>
          <Stack gap="xs">
            <TextInput label="Preview for" placeholder="a contact's email (empty: a sample person)" value={who} onChange={(e) => setWho(e.currentTarget.value)} error={person.error?.message} />
            <Paper withBorder p="xs" data-testid="email-preview">
              {preview.data ? (
                <Stack gap={6}>
                  <Group gap="xs" wrap="nowrap">
                    <Badge variant="light" color={preview.isFetching ? "gray" : "blue"}>
                      Subject
                    </Badge>
                    <Text size="sm" fw={600} data-testid="preview-subject">
                      {preview.data.subject}
                    </Text>
                  </Group>
                  {/* No scripts, no same origin: the email is shown, never run. */}
                  <iframe title="Email preview" sandbox="" srcDoc={preview.data.html} style={{ width: "100%", height: 420, border: 0, background: "white" }} />
                </Stack>
              ) : (
                <Text size="sm" c="dimmed">
                  The email appears here as it is written.
                </Text>
              )}
            </Paper>
            {preview.error && !Object.keys(wrong).length && <Alert color="red">{preview.error.message}</Alert>}
            <Paper withBorder p="xs">
              <Group align="flex-end" gap="xs">
                <TextInput label="Send a test to" value={to} onChange={(e) => setTo(e.currentTarget.value)} style={{ flex: 1 }} error={testSend.error?.message} />
                <Button variant="light" onClick={() => testSend.mutate(undefined)} loading={testSend.isPending} disabled={!template || changed || !to.trim()}>
                  Send test
                </Button>
              </Group>
              <Text size="xs" c="dimmed" mt={4}>
                {template && !changed ? "The saved version, marked [Test]; nothing is recorded on the contact." : "Save first: a test sends the saved version."}
              </Text>
            </Paper>
          </Stack>
        </SimpleGrid>
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {template ? "Close" : "Cancel"}
          </Button>
          <Button onClick={() => save.mutate(undefined, { onSuccess: onSaved })} loading={save.isPending} disabled={!draft.name.trim() || !changed}>
            {template ? "Save a new version" : "Save template"}
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}
