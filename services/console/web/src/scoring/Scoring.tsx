import { Alert, Button, Card, Fieldset, Group, Modal, Select, SimpleGrid, Stack, Switch, Text, Textarea, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { ApiError, fieldErrors, svc } from "../api";
import { useAuth } from "../auth";
import { useChange, useSettled } from "../hooks";
import { type Definition, type Job, type Model, NEW_MODEL, problems } from "./definition";
import { FitEditor, RulesEditor } from "./RulesEditor";
import { Settings } from "./Settings";
import { TryOnContact } from "./TryOnContact";
import { Recompute, Versions } from "./Versions";
import { Problems } from "../workflows/Problems";

function NewModel({ onClose, onMade }: { onClose: () => void; onMade: (id: string) => void }) {
  const [name, setName] = useState("");
  const [id, setId] = useState("");
  const slug = id || name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);
  const create = useChange(() => svc.post<Model>("scoring", "/scoring-models", { ...NEW_MODEL, id: slug, name }), [["scoring-models"]], "Model created");
  const fields = fieldErrors(create.error);
  return (
    <Modal opened onClose={onClose} title="New scoring model">
      <Stack>
        <TextInput label="Name" placeholder="e.g. Enterprise fit" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fields.name} />
        <TextInput label="Id" description="How workflows and the API name it; cannot change later" placeholder={slug} value={id} onChange={(e) => setId(e.currentTarget.value)} error={fields.id} />
        {create.error && !Object.keys(fields).length && <Text c="red">{create.error.message}</Text>}
        <Text size="sm" c="dimmed">
          It starts with no rules, a 30-day half-life and leads qualifying at 50 points with grade C; add its rules next.
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button disabled={!name.trim() || !slug} loading={create.isPending} onClick={() => create.mutate(undefined, { onSuccess: (m) => onMade(m.id) })}>
            Create
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function ScoringPage() {
  const { can } = useAuth();
  const models = useQuery({ queryKey: ["scoring-models"], queryFn: () => svc.get<Model[]>("scoring", "/scoring-models") });
  const [chosen, setChosen] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const model = (models.data ?? []).find((m) => m.id === (chosen ?? models.data?.[0]?.id));
  const [definition, setDefinition] = useState<Definition | null>(null);
  useEffect(() => setDefinition(model ? structuredClone(model.definition) : null), [model?.id, model?.version]);
  useEffect(() => setJob(null), [model?.id]);
  const save = useChange(() => svc.put<Model>("scoring", `/scoring-models/${model?.id}`, definition), [["scoring-models"]], "Saved: everyone is being re-scored with it");
  // Checked as it is edited: an error shows at the rule or part that causes it, before any save.
  const checking = useSettled(definition, 300);
  const check = useQuery({
    queryKey: ["validate-model", checking],
    queryFn: () => svc.post("scoring", "/scoring-models/validate", checking),
    enabled: checking !== null,
    retry: false,
  });
  const writable = can("scoring-models:write");
  const wrong = definition
    ? problems(fieldErrors(check.error, save.error), definition)
    : null;
  const set = (patch: Partial<Definition>) => definition && setDefinition({ ...definition, ...patch });
  const changed = !!model && !!definition && JSON.stringify(model.definition) !== JSON.stringify(definition);
  return (
    <Stack>
      <Title order={2}>Scoring</Title>
      <Text c="dimmed" maw={760}>
        A model gives points for what people do, within caps, and a grade for who they are. Change a rule and try it on a contact before saving; saving re-scores everyone from their history.
      </Text>
      <Group align="flex-end">
        <Select label="Model" data={(models.data ?? []).map((m) => ({ value: m.id, label: `${m.definition.name} (version ${m.version})` }))} value={model?.id ?? null} onChange={setChosen} allowDeselect={false} w={420} maw="100%" />
        {writable && (
          <Button variant="light" onClick={() => setCreating(true)}>
            New model
          </Button>
        )}
      </Group>
      {definition && wrong && model && (
        <Card withBorder data-testid="model-editor">
          <Fieldset variant="unstyled" disabled={!writable}>
            <Stack gap="md">
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput label="Name" value={definition.name} onChange={(e) => set({ name: e.currentTarget.value })} error={wrong.sections.name?.[0]} />
                <Switch
                  mt={{ sm: 28 }}
                  label={definition.active ? "Active: scores contacts as events arrive" : "Inactive: scores no one"}
                  checked={definition.active}
                  onChange={(e) => set({ active: e.currentTarget.checked })}
                />
              </SimpleGrid>
              <Textarea label="What it measures (optional)" autosize minRows={1} value={definition.description ?? ""} onChange={(e) => set({ description: e.currentTarget.value || null })} />
              <Title order={4}>Behaviour rules</Title>
              <RulesEditor rules={definition.rules} errors={wrong.rules} readOnly={!writable} onChange={(rules) => set({ rules })} />
              <Title order={4}>Fit rules</Title>
              <FitEditor rules={definition.fit_rules} errors={wrong.fit} readOnly={!writable} onChange={(fit_rules) => set({ fit_rules })} />
              <Settings d={definition} errors={wrong.sections} readOnly={!writable} onChange={set} />
              <Problems messages={wrong.sections.other ?? []} />
            </Stack>
          </Fieldset>
          {save.error && !(save.error instanceof ApiError && Object.keys(save.error.fields).length) && (
            <Alert color="red" mt="sm">
              {save.error.message}
            </Alert>
          )}
          {writable && (
            <Group justify="flex-end" mt="md">
              <Button variant="default" disabled={!changed} onClick={() => setDefinition(structuredClone(model.definition))}>
                Undo changes
              </Button>
              <Button loading={save.isPending} disabled={!changed} onClick={() => save.mutate(undefined, { onSuccess: (m) => setJob(m.recompute ?? null) })}>
                Save and re-score
              </Button>
            </Group>
          )}
          {job && (
            <Card withBorder mt="md">
              <Recompute job={job} />
            </Card>
          )}
        </Card>
      )}
      {model && (
        <Card withBorder>
          <Stack gap="xs">
            <Title order={4}>Versions</Title>
            <Versions modelId={model.id} current={model.version} onRestore={writable ? (d) => setDefinition(d) : undefined} />
          </Stack>
        </Card>
      )}
      {definition && <TryOnContact definition={definition} />}
      {creating && (
        <NewModel
          onClose={() => setCreating(false)}
          onMade={(id) => {
            setCreating(false);
            setChosen(id);
          }}
        />
      )}
    </Stack>
  );
}
