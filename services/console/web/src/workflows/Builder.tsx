import { Alert, Badge, Button, Card, Fieldset, Group, List, NumberInput, Paper, Select, SimpleGrid, Stack, Text, Textarea, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { fieldErrors } from "../api";
import { asDrawn, automation, ok } from "../client";
import type { components } from "../generated/automation";
import { contactByEmail, useChange, useSettled } from "../hooks";
import { Conditions, CONTACT_FIELDS } from "../components/Conditions";
import { type Definition, newStep, POLICIES, type Step, type StepKind, stepErrors, STEPS, toDefinition } from "./definition";
import { Problems } from "./Problems";
import { StepEditor } from "./StepEditor";
import { TriggerEditor } from "./TriggerEditor";

// A saved workflow as the service answers it, its definition read as the builder's draft (the
// API documents it as free-form: stored versions may predate today's language).
export type Workflow = Omit<components["schemas"]["Workflow"], "definition"> & { definition: Definition };
export const asSaved = (answer: components["schemas"]["Workflow"][]) => answer as unknown as Workflow[];

type Walk = components["schemas"]["Walk"];
export type Progress = components["schemas"]["Progress"];

// Where a saved workflow's people are, refreshed while it is open.
export function useProgress(id: string | undefined) {
  return useQuery({
    queryKey: ["workflow-progress", id],
    queryFn: () => ok(automation.GET("/v1/workflows/{workflow_id}/progress", { params: { path: { workflow_id: id ?? "" } } })),
    enabled: !!id,
    refetchInterval: 5_000,
  });
}

export function ProgressLine({ progress }: { progress: Progress }) {
  const parts = [
    ["enrolled", progress.enrolled],
    ["in progress", progress.in_progress],
    ["completed", progress.completed],
    ["reached the goal", progress.goal_reached],
    ["left early", progress.exited],
  ] as const;
  return (
    <Group gap="xs" data-testid="workflow-progress">
      {parts.map(([label, n]) => (
        <Badge key={label} variant="light" color={label === "reached the goal" ? "teal" : "gray"}>
          {n.toLocaleString()} {label}
        </Badge>
      ))}
    </Group>
  );
}

function DryRun({ definition, ready }: { definition: Definition; ready: boolean }) {
  const [email, setEmail] = useState("");
  const [walk, setWalk] = useState<Walk | null>(null);
  const [walkError, setWalkError] = useState("");
  const run = async () => {
    setWalkError("");
    setWalk(null);
    try {
      const contact = await contactByEmail(email);
      setWalk(await ok(automation.POST("/v1/workflows/dry-run", { body: { definition: asDrawn(definition), contact_id: contact.id } })));
    } catch (e) {
      setWalkError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <Paper withBorder p="sm">
      <Stack gap="xs">
        <Text fw={600}>Dry run</Text>
        <Text size="sm" c="dimmed">
          The path one contact would take today, nothing sent: every wait taken as over.
        </Text>
        <Group align="flex-end">
          <TextInput label="On the contact" placeholder="their email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} w={320} error={walkError} />
          <Button variant="light" onClick={run} disabled={!email.trim() || !ready}>
            Dry run
          </Button>
        </Group>
        {walk && (
          <Stack gap={4} data-testid="dry-run">
            <List size="sm">
              {walk.path.map((p, i) => (
                <List.Item key={i}>{p.what}</List.Item>
              ))}
            </List>
            <Text size="sm" c="dimmed">
              Then: {walk.outcome.replace("_", " ")} ({walk.reason})
            </Text>
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}

// New or saved (`workflow`), the same editor: saving a saved one makes its next version.
export function Builder({ initial, workflow, readOnly = false, onDone }: { initial: Definition; workflow?: Workflow; readOnly?: boolean; onDone: () => void }) {
  const [draft, setDraft] = useState<Definition>(initial);
  const [adding, setAdding] = useState<string | null>(null);
  const set = (patch: Partial<Definition>) => setDraft({ ...draft, ...patch });
  const setSteps = (steps: Step[]) => set({ steps });
  const definition = toDefinition(draft);
  const checking = useSettled(definition, 300);
  const check = useQuery({
    queryKey: ["validate-workflow", checking],
    queryFn: () => ok(automation.POST("/v1/workflows/validate", { body: asDrawn(checking) })),
    enabled: checking.steps.length > 0,
    retry: false,
  });
  const save = useChange(
    () => ok(
        workflow
          ? automation.PUT("/v1/workflows/{workflow_id}", { params: { path: { workflow_id: workflow.id } }, body: asDrawn(definition) })
          : automation.POST("/v1/workflows", { body: asDrawn(definition) }),
      ),
    [["workflows"], ["workflow-progress"]],
    workflow ? `Saved as version ${workflow.version + 1}` : "Workflow saved as a draft",
  );
  const progress = useProgress(workflow?.id);
  const ids = draft.steps.map((s) => s.id);
  const errors = stepErrors(fieldErrors(check.error, save.error), ids);
  const at = Object.fromEntries((progress.data?.steps ?? []).map((s) => [s.step_id, s]));
  return (
    <Card withBorder data-testid="workflow-builder">
      <Stack maw={900}>
        <Group justify="space-between">
          <Title order={4}>{workflow ? `${workflow.definition.name} — version ${workflow.version}, ${workflow.status}` : "New workflow"}</Title>
          {progress.data && <ProgressLine progress={progress.data} />}
        </Group>
        <Fieldset variant="unstyled" disabled={readOnly}>
        <Stack>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label="Name" placeholder="e.g. Pricing follow-up" value={draft.name} onChange={(e) => set({ name: e.currentTarget.value })} error={errors.other.find((e) => e.startsWith("name"))} />
          <Group grow align="flex-start">
            <Select label="Enroll" data={POLICIES} value={draft.enrollment.policy} onChange={(v) => v && set({ enrollment: { policy: v as Definition["enrollment"]["policy"], days: draft.enrollment.days ?? 30 } })} allowDeselect={false} error={errors.enrollment[0]} />
            {draft.enrollment.policy === "once_per_days" && <NumberInput label="Days between" min={1} value={draft.enrollment.days} onChange={(v) => set({ enrollment: { ...draft.enrollment, days: Number(v) || 0 } })} />}
          </Group>
        </SimpleGrid>
        <Textarea label="What it is for (optional)" autosize minRows={1} value={draft.description ?? ""} onChange={(e) => set({ description: e.currentTarget.value })} />
        <TriggerEditor trigger={draft.trigger} onChange={(trigger) => set({ trigger })} errors={errors.trigger} />
        {draft.steps.map((s, i) => (
          <StepEditor
            key={s.id}
            step={s}
            index={i}
            later={draft.steps.slice(i + 1)}
            progress={workflow ? (at[s.id] ?? { here: 0, waiting: 0 }) : undefined}
            errors={errors.steps[i] ?? []}
            onChange={(n) => setSteps(draft.steps.map((x, j) => (j === i ? n : x)))}
            onRemove={() => setSteps(draft.steps.filter((_, j) => j !== i))}
          />
        ))}
        <Group>
          <Select
            aria-label="Add a step"
            placeholder="Add a step…"
            data={STEPS}
            value={adding}
            onChange={(v) => {
              if (v) setSteps([...draft.steps, newStep(v as StepKind, draft.steps)]);
              setAdding(null);
            }}
            w={280}
          />
        </Group>
        <Paper withBorder p="sm">
          <Stack gap="xs">
            <Text fw={600}>Goal (optional)</Text>
            <Text size="sm" c="dimmed">
              People leave the workflow, counted as a success, as soon as they meet every condition.
            </Text>
            <Conditions conditions={draft.goal} label="Goal condition" fields={CONTACT_FIELDS} onChange={(goal) => set({ goal })} />
            <Problems messages={errors.goal} />
          </Stack>
        </Paper>
        {errors.other
          .filter((e) => !e.startsWith("name"))
          .map((e) => (
            <Alert key={e} color="red">
              {e}
            </Alert>
          ))}
        <DryRun definition={definition} ready={draft.steps.length > 0} />
        </Stack>
        </Fieldset>
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {workflow ? "Close" : "Cancel"}
          </Button>
          {!readOnly && (
            <Button disabled={!draft.name.trim() || !draft.steps.length} loading={save.isPending} onClick={() => save.mutate(undefined, { onSuccess: onDone })}>
              {workflow ? "Save a new version" : "Save as draft"}
            </Button>
          )}
        </Group>
      </Stack>
    </Card>
  );
}
