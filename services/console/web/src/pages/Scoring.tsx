import { Alert, Badge, Button, Card, Group, NumberInput, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { ApiError, svc } from "../api";
import { useAuth } from "../auth";
import { interactionLabel, when } from "../format";
import { useChange, useSettled } from "../hooks";

interface Rule {
  id: string;
  name: string;
  interaction_type?: string | null;
  event_name?: string | null;
  conditions?: { field: string; op: string; value?: unknown }[];
  points: number;
  cap?: { max_points: number; per: string } | null;
}
interface Definition {
  name: string;
  rules: Rule[];
  bands: Record<string, number>;
  threshold?: { score: number; min_grade: string } | null;
  [k: string]: unknown;
}
interface Model {
  id: string;
  version: number;
  definition: Definition;
}
interface Trial {
  score: number;
  band: string;
  grade: string;
  fit: number;
  qualified: boolean;
  interactions: number;
  ledger: { rule_id: string; rule_name: string; event_id: string; at: string; points: number; requested: number; capped: boolean }[];
}

const TYPES = ["page_visit", "email_opened", "email_clicked", "form_submitted", "call_logged", "meeting_held", "purchase", "email_unsubscribed", "email_bounced"].map((t) => ({
  value: t,
  label: interactionLabel(t),
}));

// The service's errors by rule: `definition.rules.2.points` and `definition.rules.2` → rule 2.
function ruleErrors(fields: Record<string, string>): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [path, message] of Object.entries(fields)) {
    const m = /^(?:definition\.)?rules\.(\d+)/.exec(path);
    if (m) out[Number(m[1])] = message;
  }
  return out;
}

function TryOnContact({ definition }: { definition: Definition }) {
  const [email, setEmail] = useState("");
  const [contact, setContact] = useState<{ id: string; email: string } | null>(null);
  const [lookupError, setLookupError] = useState("");
  const draft = useSettled(definition, 400);
  const trial = useQuery({
    queryKey: ["try", contact?.id, draft],
    queryFn: () => svc.post<Trial>("scoring", "/scoring-models/try", { definition: draft, contact_id: contact?.id }),
    enabled: !!contact,
    retry: false,
  });
  const find = async () => {
    setLookupError("");
    const found = await svc.get<{ items: { id: string; email: string }[] }>("contacts", "/contacts", { email: email.trim() });
    if (!found.items.length) setLookupError(`No contact with the email ${email.trim()}`);
    setContact(found.items[0] ?? null);
  };
  const t = trial.data;
  return (
    <Card withBorder>
      <Stack gap="sm">
        <Title order={4}>Try on a contact</Title>
        <Text size="sm" c="dimmed">
          What this model — as it stands in the editor, unsaved — gives one contact from everything they did.
        </Text>
        <Group align="flex-end">
          <TextInput label="Contact email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={lookupError} w={320} />
          <Button variant="light" onClick={find} disabled={!email.trim()}>
            Try
          </Button>
        </Group>
        {trial.error && <Alert color="red">{trial.error.message}</Alert>}
        {t && contact && (
          <Stack gap="xs" data-testid="trial">
            <Group gap="sm">
              <Text fw={600} data-testid="trial-score">
                Score {t.score} · {t.band}
              </Text>
              <Badge variant="light">Grade {t.grade}</Badge>
              {t.qualified && <Badge color="teal">Would qualify</Badge>}
              <Text size="sm" c="dimmed">
                from {t.interactions} interactions of {contact.email}
              </Text>
            </Group>
            <Table.ScrollContainer minWidth={480}>
              <Table aria-label="Why this score" striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>When</Table.Th>
                    <Table.Th>Rule</Table.Th>
                    <Table.Th>Points</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {t.ledger.map((e) => (
                    <Table.Tr key={`${e.event_id}:${e.rule_id}`} data-testid="trial-entry">
                      <Table.Td>{when(e.at)}</Table.Td>
                      <Table.Td>{e.rule_name}</Table.Td>
                      <Table.Td>
                        {e.points > 0 ? `+${e.points}` : e.points}
                        {e.capped ? ` (capped from ${e.requested})` : ""}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Stack>
        )}
      </Stack>
    </Card>
  );
}

export function ScoringPage() {
  const { can } = useAuth();
  const models = useQuery({ queryKey: ["scoring-models"], queryFn: () => svc.get<Model[]>("scoring", "/scoring-models") });
  const [chosen, setChosen] = useState<string | null>(null);
  const model = (models.data ?? []).find((m) => m.id === (chosen ?? models.data?.[0]?.id));
  const [definition, setDefinition] = useState<Definition | null>(null);
  useEffect(() => setDefinition(model ? structuredClone(model.definition) : null), [model?.id, model?.version]);
  const save = useChange(
    () => svc.put<Model & { recompute?: { id: string } }>("scoring", `/scoring-models/${model?.id}`, definition),
    [["scoring-models"]],
    "Saved: everyone is being re-scored with it",
  );
  // Checked as it is edited: an error shows at the rule that causes it, before any save.
  const checking = useSettled(definition, 300);
  const check = useQuery({
    queryKey: ["validate-model", checking],
    queryFn: () => svc.post("scoring", "/scoring-models/validate", checking),
    enabled: checking !== null,
    retry: false,
  });
  const errors = ruleErrors({
    ...(check.error instanceof ApiError ? check.error.fields : {}),
    ...(save.error instanceof ApiError ? save.error.fields : {}),
  });
  const setRule = (i: number, patch: Partial<Rule>) => definition && setDefinition({ ...definition, rules: definition.rules.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const writable = can("scoring-models:write");
  return (
    <Stack>
      <Title order={2}>Scoring</Title>
      <Text c="dimmed" maw={760}>
        A model gives points for what people do, within caps, and a grade for who they are. Change a rule and try it on a contact before saving; saving
        re-scores everyone from their history.
      </Text>
      <Select label="Model" data={(models.data ?? []).map((m) => ({ value: m.id, label: `${m.definition.name} (version ${m.version})` }))} value={model?.id ?? null} onChange={setChosen} allowDeselect={false} maw={420} />
      {definition && (
        <Card withBorder>
          <Stack gap="sm">
            <Title order={4}>Behaviour rules</Title>
            <Table.ScrollContainer minWidth={760}>
              <Table aria-label="Rules">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Rule</Table.Th>
                    <Table.Th>When someone</Table.Th>
                    <Table.Th>And</Table.Th>
                    <Table.Th>Points</Table.Th>
                    <Table.Th>At most</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {definition.rules.map((r, i) => (
                    <Table.Tr key={r.id} data-testid="rule">
                      <Table.Td>
                        <TextInput aria-label={`Name of rule ${r.id}`} value={r.name} onChange={(e) => setRule(i, { name: e.currentTarget.value })} readOnly={!writable} error={errors[i]} />
                      </Table.Td>
                      <Table.Td>
                        {r.interaction_type ? (
                          <Select aria-label={`What rule ${r.id} counts`} data={TYPES} value={r.interaction_type} onChange={(v) => v && setRule(i, { interaction_type: v })} allowDeselect={false} readOnly={!writable} />
                        ) : (
                          <Text size="sm">sends “{r.event_name}”</Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" c="dimmed">
                          {(r.conditions ?? []).map((c) => `${c.field} ${c.op.replaceAll("_", " ")} ${c.value ?? ""}`).join(" and ") || "—"}
                        </Text>
                      </Table.Td>
                      <Table.Td w={120}>
                        <NumberInput aria-label={`Points of rule ${r.id}`} value={r.points} onChange={(v) => setRule(i, { points: typeof v === "number" ? v : 0 })} readOnly={!writable} />
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{r.cap ? `${r.cap.max_points} a ${r.cap.per}` : "no cap"}</Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            {save.error && !Object.keys(errors).length && <Alert color="red">{save.error.message}</Alert>}
            {writable && (
              <Group justify="flex-end">
                <Button variant="default" onClick={() => model && setDefinition(structuredClone(model.definition))}>
                  Undo changes
                </Button>
                <Button loading={save.isPending} onClick={() => save.mutate(undefined)}>
                  Save and re-score
                </Button>
              </Group>
            )}
          </Stack>
        </Card>
      )}
      {definition && <TryOnContact definition={definition} />}
    </Stack>
  );
}
