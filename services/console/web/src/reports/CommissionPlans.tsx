import { ActionIcon, Badge, Button, Card, Group, Modal, MultiSelect, NumberInput, SegmentedControl, Select, SimpleGrid, Stack, Table, TagsInput, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconPlus, IconTrash } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import dayjs from "dayjs";
import { useState } from "react";
import { ok, reporting } from "../client";
import type { components } from "../generated/reporting";
import { CURRENCIES, stageLabel, stageOptions } from "../format";
import { repName, submitTo, useChange, useReps } from "../hooks";
import { FormActions, Unplaced } from "../components/FormActions";

type Plan = components["schemas"]["PlanOut"];
type Stage = components["schemas"]["StageBonus"]["stage"];
const pct = (share: number) => `${Math.round(share * 10000) / 100}%`;
const percent = (v: number | string) => (v === "" || (Number(v) >= 0 && Number(v) <= 100) ? null : "Between 0 and 100 %");
const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);

interface Values {
  name: string;
  reps: string[];
  teams: string[];
  currency: string;
  effective_from: string;
  effective_to: string;
  default_rate: number | string; // percent
  rates: { on: "product" | "category"; what: string; rate: number | string }[];
  stage_bonuses: { stage: string | null; amount: number | string }[];
}

export function toValues(p?: Plan): Values {
  return {
    name: p?.name ?? "",
    reps: p?.reps ?? [],
    teams: p?.teams ?? [],
    currency: p?.currency ?? "EUR",
    effective_from: p?.effective_from ?? dayjs().startOf("month").format("YYYY-MM-DD"),
    effective_to: p?.effective_to ?? "",
    default_rate: (p?.default_rate ?? 0) * 100,
    rates: (p?.rates ?? []).map((r) => ({ on: r.product ? "product" : "category", what: (r.product ?? r.category) || "", rate: r.rate * 100 })),
    stage_bonuses: (p?.stage_bonuses ?? []).map((b) => ({ stage: b.stage, amount: b.amount })),
  };
}

// The plan as the API takes it: percentages become shares, empty dates none.
export function toBody(v: Values): components["schemas"]["PlanIn"] {
  return {
    name: v.name,
    reps: v.reps,
    teams: v.teams,
    currency: v.currency,
    effective_from: v.effective_from,
    effective_to: v.effective_to || null,
    default_rate: Number(v.default_rate || 0) / 100,
    rates: v.rates.map((r) => ({ [r.on]: r.what.trim(), rate: Number(r.rate || 0) / 100 })),
    stage_bonuses: v.stage_bonuses.map((b) => ({ stage: b.stage as Stage, amount: Number(b.amount || 0) })),
  };
}

function PlanEditor({ plan, onClose }: { plan?: Plan; onClose: () => void }) {
  const { data: reps } = useReps();
  const form = useForm<Values>({
    initialValues: toValues(plan),
    validate: {
      name: (v) => (v.trim() ? null : "A name, e.g. East 2027"),
      effective_from: (v) => (v ? null : "The first day it pays"),
      default_rate: (v) => percent(v),
      rates: { what: (v) => (v.trim() ? null : "Which product or category"), rate: (v) => percent(v) },
    },
  });
  const save = useChange(
    (v: Values) => ok(reporting.PUT("/v1/commission-plans/{plan_id}", { params: { path: { plan_id: plan?.id ?? slug(v.name) } }, body: toBody(v) })),
    [["commission-plans"], ["report"]],
    "Plan saved: commissions are counted with it",
  );
  const submit = submitTo(form, save, onClose);
  return (
    <Modal opened onClose={onClose} title={plan ? `Commission plan: ${plan.name}` : "New commission plan"} size="xl">
      <form onSubmit={submit}>
        <Stack>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Name" {...form.getInputProps("name")} />
            <Select label="Bonuses paid in" data={CURRENCIES} allowDeselect={false} {...form.getInputProps("currency")} />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <MultiSelect
              label="Pays these reps"
              data={(reps ?? []).map((r) => ({ value: r.id, label: (r.name as string) || r.id }))}
              searchable
              {...form.getInputProps("reps")}
            />
            <TagsInput label="Pays these teams" description="Every rep whose team is one of these" {...form.getInputProps("teams")} />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <TextInput type="date" label="From" {...form.getInputProps("effective_from")} />
            <TextInput type="date" label="Until (optional)" {...form.getInputProps("effective_to")} />
            <NumberInput label="Rate on everything else" suffix=" %" min={0} max={100} decimalScale={2} {...form.getInputProps("default_rate")} />
          </SimpleGrid>
          <Text fw={500} size="sm">
            Rates for a product or a category (catalog)
          </Text>
          {form.values.rates.map((_, i) => (
            <Group key={i} align="flex-end" wrap="nowrap" data-testid="plan-rate">
              <SegmentedControl data={[{ value: "product", label: "Product (SKU)" }, { value: "category", label: "Category" }]} {...form.getInputProps(`rates.${i}.on`)} />
              <TextInput aria-label={`Rate ${i + 1}: which`} placeholder="e.g. pro or licences" style={{ flex: 1 }} {...form.getInputProps(`rates.${i}.what`)} error={form.errors[`rates.${i}.product`] ?? form.errors[`rates.${i}.category`] ?? form.errors[`rates.${i}`]} />
              <NumberInput aria-label={`Rate ${i + 1}`} suffix=" %" w={120} min={0} decimalScale={2} {...form.getInputProps(`rates.${i}.rate`)} />
              <ActionIcon variant="subtle" color="red" aria-label={`Remove rate ${i + 1}`} onClick={() => form.removeListItem("rates", i)}>
                <IconTrash size={16} />
              </ActionIcon>
            </Group>
          ))}
          <Group>
            <Button variant="light" size="xs" leftSection={<IconPlus size={14} />} onClick={() => form.insertListItem("rates", { on: "category", what: "", rate: 5 })}>
              Add a rate
            </Button>
          </Group>
          <Text fw={500} size="sm">
            Bonus per contact brought to a stage
          </Text>
          {form.values.stage_bonuses.map((_, i) => (
            <Group key={i} align="flex-end" wrap="nowrap" data-testid="plan-bonus">
              <Select aria-label={`Bonus ${i + 1}: stage`} data={stageOptions} style={{ flex: 1 }} {...form.getInputProps(`stage_bonuses.${i}.stage`)} />
              <NumberInput aria-label={`Bonus ${i + 1}: amount`} prefix={`${form.values.currency} `} min={0} w={160} {...form.getInputProps(`stage_bonuses.${i}.amount`)} />
              <ActionIcon variant="subtle" color="red" aria-label={`Remove bonus ${i + 1}`} onClick={() => form.removeListItem("stage_bonuses", i)}>
                <IconTrash size={16} />
              </ActionIcon>
            </Group>
          ))}
          <Group>
            <Button variant="light" size="xs" leftSection={<IconPlus size={14} />} onClick={() => form.insertListItem("stage_bonuses", { stage: "customer", amount: 100 })}>
              Add a bonus
            </Button>
          </Group>
          <Unplaced error={save.error} placed={form.errors} />
          <FormActions submit="Save plan" busy={save.isPending} onCancel={onClose} />
        </Stack>
      </form>
    </Modal>
  );
}

// How reps are paid: a manager's plans, each opened in the editor.
export function CommissionPlans() {
  const { data: reps } = useReps();
  const plans = useQuery({ queryKey: ["commission-plans"], queryFn: () => ok(reporting.GET("/v1/commission-plans")) });
  const [open, setOpen] = useState<{ plan?: Plan } | null>(null);
  return (
    <Card withBorder>
      <Group justify="space-between">
        <Title order={4}>Commission plans</Title>
        <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => setOpen({})}>
          New plan
        </Button>
      </Group>
      {plans.error && <Text c="red">{plans.error.message}</Text>}
      {plans.data?.length === 0 && (
        <Text c="dimmed" size="sm">
          No plan yet: commissions count once a plan pays a rep or their team.
        </Text>
      )}
      {!!plans.data?.length && (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="Commission plans">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Plan</Table.Th>
                <Table.Th>Pays</Table.Th>
                <Table.Th>In force</Table.Th>
                <Table.Th>Rates</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {plans.data.map((p) => (
                <Table.Tr key={p.id} data-testid="plan-row">
                  <Table.Td>
                    <Button variant="subtle" size="compact-sm" onClick={() => setOpen({ plan: p })}>
                      {p.name}
                    </Button>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {(p.teams ?? []).map((t) => (
                        <Badge key={t} variant="outline" size="sm">
                          team {t}
                        </Badge>
                      ))}
                      {(p.reps ?? []).map((r) => (
                        <Badge key={r} variant="light" size="sm" tt="none">
                          {repName(reps, r)}
                        </Badge>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>
                    {p.effective_from} – {p.effective_to ?? "open"}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">
                      {pct(p.default_rate ?? 0)} by default
                      {(p.rates ?? []).map((r) => ` · ${r.product ?? r.category} ${pct(r.rate)}`).join("")}
                      {(p.stage_bonuses ?? []).map((b) => ` · ${p.currency} ${b.amount} per ${stageLabel(b.stage)}`).join("")}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {open && <PlanEditor plan={open.plan} onClose={() => setOpen(null)} />}
    </Card>
  );
}
