import { Alert, Badge, Button, Card, Code, CopyButton, Group, Modal, MultiSelect, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { isNotEmpty, useForm } from "@mantine/form";
import { useState } from "react";
import { consoleApi, ok } from "../client";
import { ago, when } from "../format";
import { submitTo, useChange } from "../hooks";
import type { components } from "../generated/console";
import { FormActions, Unplaced } from "../components/FormActions";

type KeyInfo = components["schemas"]["KeyInfo"];
type NewKey = components["schemas"]["NewKey"];

const LIFETIMES = [
  { value: "", label: "Until revoked" },
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "A year" },
];
const GRACE = [
  { value: "0", label: "Stop the old key now" },
  { value: "1", label: "Keep the old key for an hour" },
  { value: "24", label: "Keep the old key for a day" },
  { value: "168", label: "Keep the old key for a week" },
];

// What a scope lets a system do, in words.
function scopeLabel(scope: string): string {
  const [area, what] = scope.split(":");
  const name = area.replaceAll("-", " ");
  if (what === "*") return `${name}: everything`;
  if (scope === "events:write") return "send events (tracking, integrations)";
  return `${name}: ${what === "read" ? "read" : "change"}`;
}

function state(k: KeyInfo): { label: string; color: string } {
  const now = Date.now();
  if (k.revoked_at && Date.parse(k.revoked_at) <= now) return { label: k.replaced_by ? "rotated" : "revoked", color: "gray" };
  if (k.expires_at && Date.parse(k.expires_at) <= now) return { label: "expired", color: "gray" };
  if (k.revoked_at) return { label: `stops ${ago(k.revoked_at)}`, color: "yellow" };
  return { label: "active", color: "teal" };
}

function Shown({ made, onClose }: { made: NewKey; onClose: () => void }) {
  return (
    <Modal opened onClose={onClose} title={`The key for ${made.name}`} size="lg">
      <Stack>
        <Alert color="yellow">This is the only time the key is shown: copy it into the system that uses it now. Lost, it cannot be shown again — rotate it.</Alert>
        <Code block data-testid="new-key" style={{ wordBreak: "break-all", whiteSpace: "pre-wrap" }}>
          {made.key}
        </Code>
        <Group justify="flex-end">
          <CopyButton value={made.key}>
            {({ copied, copy }) => (
              <Button variant="light" color={copied ? "teal" : "blue"} onClick={copy}>
                {copied ? "Copied" : "Copy the key"}
              </Button>
            )}
          </CopyButton>
          <Button onClick={onClose}>Done</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function ApiKeysPage() {
  const keys = useQuery({ queryKey: ["api-keys"], queryFn: () => ok(consoleApi.GET("/v1/api-keys")), refetchInterval: 30_000 });
  const grantable = useQuery({ queryKey: ["api-key-scopes"], queryFn: () => ok(consoleApi.GET("/v1/api-keys/scopes")), staleTime: Infinity });
  const form = useForm({
    initialValues: { name: "", scopes: [] as string[], lifetime: "" },
    validate: { name: isNotEmpty("Which system uses it"), scopes: isNotEmpty("At least one thing it may do") },
  });
  const [made, setMade] = useState<NewKey | null>(null);
  const [rotating, setRotating] = useState<KeyInfo | null>(null);
  const [grace, setGrace] = useState<string | null>("0");
  const create = useChange(
    ({ name, scopes, lifetime }: typeof form.values) => ok(consoleApi.POST("/v1/api-keys", { body: { name, scopes, expires_in_days: lifetime ? Number(lifetime) : null } })),
    [["api-keys"]],
    "Key made",
  );
  const rotate = useChange((k: KeyInfo) => ok(consoleApi.POST("/v1/api-keys/{key_id}/rotate", { params: { path: { key_id: k.id } }, body: { grace_hours: Number(grace) } })), [["api-keys"]], "Key rotated");
  const revoke = useChange((k: KeyInfo) => ok(consoleApi.POST("/v1/api-keys/{key_id}/revoke", { params: { path: { key_id: k.id } } })), [["api-keys"]], "Key revoked: every service refuses it within seconds");
  const make = submitTo(form, create, (k) => {
    setMade(k);
    form.reset();
  });
  const options = [
    ...(grantable.data?.areas ?? []).map((a) => ({ value: `${a}:*`, label: scopeLabel(`${a}:*`) })),
    ...(grantable.data?.scopes ?? []).map((s) => ({ value: s, label: scopeLabel(s) })),
  ];
  return (
    <Stack>
      <Title order={2}>API keys</Title>
      <Text c="dimmed" maw={760}>
        Keys let other systems — your website's tracking, a CRM sync, a data warehouse — use Lodestone's APIs with only the rights they need. Give each system its own key so it can be rotated or revoked
        alone.
      </Text>
      <Card withBorder maw={760}>
        <Stack>
          <Title order={4}>New key</Title>
          <form onSubmit={make}>
            <Stack>
              <TextInput label="Used by" placeholder="e.g. Website tracking" {...form.getInputProps("name")} />
              <MultiSelect
                label="May"
                placeholder="Choose what it may do"
                data={options}
                searchable
                {...form.getInputProps("scopes")}
                error={form.errors.scopes ?? Object.entries(form.errors).find(([f]) => f.startsWith("scopes"))?.[1]}
              />
              <Select label="Works" data={LIFETIMES} allowDeselect={false} w={240} {...form.getInputProps("lifetime")} />
              <Unplaced error={create.error} placed={form.errors} />
              <FormActions submit="Make key" busy={create.isPending} />
            </Stack>
          </form>
        </Stack>
      </Card>
      {keys.error && <Text c="red">{keys.error.message}</Text>}
      <Table.ScrollContainer minWidth={760}>
        <Table striped aria-label="API keys">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Used by</Table.Th>
              <Table.Th>May</Table.Th>
              <Table.Th>Key ends in</Table.Th>
              <Table.Th>Made</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(keys.data ?? []).map((k) => {
              const s = state(k);
              const live = s.label === "active";
              return (
                <Table.Tr key={k.id} data-testid="key-row">
                  <Table.Td>
                    {k.name}
                    {k.expires_at && (
                      <Text size="xs" c="dimmed">
                        expires {when(k.expires_at)}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {k.scopes.map((sc) => (
                        <Badge key={sc} variant="light" color="gray" title={sc}>
                          {scopeLabel(sc)}
                        </Badge>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>
                    <Code>…{k.hint}</Code>
                  </Table.Td>
                  <Table.Td>
                    {ago(k.created_at)} by {k.created_by}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>
                    <Badge color={s.color} variant="light">
                      {s.label}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {live && (
                      <Group gap="xs" wrap="nowrap">
                        <Button size="compact-xs" variant="light" onClick={() => setRotating(k)} aria-label={`Rotate ${k.name}`}>
                          Rotate
                        </Button>
                        <Button size="compact-xs" variant="subtle" color="red" onClick={() => revoke.mutate(k)} aria-label={`Revoke ${k.name}`}>
                          Revoke
                        </Button>
                      </Group>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {rotating && (
        <Modal opened onClose={() => setRotating(null)} title={`Rotate the key for ${rotating.name}`}>
          <Stack>
            <Text size="sm">A new key with the same rights replaces it. Put the new key in place before the old one stops.</Text>
            <Select label="The old key" data={GRACE} value={grace} onChange={setGrace} allowDeselect={false} />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setRotating(null)}>
                Cancel
              </Button>
              <Button
                loading={rotate.isPending}
                onClick={() =>
                  rotate.mutate(rotating, {
                    onSuccess: (k) => {
                      setRotating(null);
                      setMade(k);
                    },
                  })
                }
              >
                Rotate
              </Button>
            </Group>
          </Stack>
        </Modal>
      )}
      {made && <Shown made={made} onClose={() => setMade(null)} />}
    </Stack>
  );
}
