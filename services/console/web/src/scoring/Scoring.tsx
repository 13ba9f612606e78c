import { Alert, Button, Card, Fieldset, Group, Modal, Select, SimpleGrid, Stack, Switch, Text, Textarea, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { ApiError, fieldErrors } from "../api";
import { asDrawn, ok, scoring } from "../client";
import { useAuth } from "../auth";
import { submitTo, useChange, useSettled } from "../hooks";
import { asDrafts, type Definition, type Job, NEW_MODEL, problems } from "./definition";
import { FitEditor, RulesEditor } from "./RulesEditor";
import { Settings } from "./Settings";
import { TryOnContact } from "./TryOnContact";
import { Recompute, Versions } from "./Versions";
import { Problems } from "../workflows/Problems";
import { FormActions, Unplaced } from "../components/FormActions";

const slugOf = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);

function NewModel({ onClose, onMade }: { onClose: () => void; onMade: (id: string) => void }) {
  const form = useForm({
    initialValues: { name: "", id: "" },
    // The id, when not typed, is the name's slug.
    transformValues: ({ name, id }) => ({ name, id: id || slugOf(name) }),
    validate: { name: (v) => (v.trim() ? null : "A name, e.g. Enterprise fit") },
  });
  const create = useChange(
    ({ name, id }: { name: string; id: string }) => ok(scoring.POST("/v1/scoring-models", { body: asDrawn({ ...NEW_MODEL, id, name }) })),
    [["scoring-models"]],
    "Model created",
  );
  const submit = submitTo(form, create, (m) => onMade(m.id));
  return (
    <Modal opened onClose={onClose} title="New scoring model">
      <form onSubmit={submit}>
      <Stack>
        <TextInput label="Name" placeholder="e.g. Enterprise fit" {...form.getInputProps("name")} />
        <TextInput label="Id" description="How workflows and the API name it; cannot change later" placeholder={slugOf(form.values.name)} {...form.getInputProps("id")} />
        <Unplaced error={create.error} placed={form.errors} />
        <Text size="sm" c="dimmed">
          It starts with no rules, a 30-day half-life and leads qualifying at 50 points with grade C; add its rules next.
        </Text>
        <FormActions submit="Create" busy={create.isPending} onCancel={onClose} />
      </Stack>
      </form>
    </Modal>
  );
}

export function ScoringPage() {
  const { can } = useAuth();
  const models = useQuery({ queryKey: ["scoring-models"], queryFn: () => ok(scoring.GET("/v1/scoring-models")).then(asDrafts) });
  const [chosen, setChosen] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const model = (models.data ?? []).find((m) => m.id === (chosen ?? models.data?.[0]?.id));
  const [definition, setDefinition] = useState<Definition | null>(null);
  useEffect(() => setDefinition(model ? structuredClone(model.definition) : null), [model?.id, model?.version]);
  useEffect(() => setJob(null), [model?.id]);
  const save = useChange(() => ok(scoring.PUT("/v1/scoring-models/{model_id}", { params: { path: { model_id: model?.id ?? "" } }, body: asDrawn(definition) })), [["scoring-models"]], "Saved: everyone is being re-scored with it");
  // Checked as it is edited: an error shows at the rule or part that causes it, before any save.
  const checking = useSettled(definition, 300);
  const check = useQuery({
    queryKey: ["validate-model", checking],
    queryFn: () => ok(scoring.POST("/v1/scoring-models/validate", { body: asDrawn(checking) })),
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
