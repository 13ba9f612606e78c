import { Anchor, Badge, Button, Card, Group, Loader, Progress, Select, SimpleGrid, Stack, Table, Text, TextInput, Title, Tooltip } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { Link } from "react-router-dom";
import { ok, reporting } from "../client";
import type { components } from "../generated/reporting";
import { useAuth } from "../auth";
import { money, stageLabel } from "../format";
import { repName, useReps, useSegments, useSettled } from "../hooks";
import { CommissionPlans } from "./CommissionPlans";
import { CommissionsCard } from "./Commissions";
import { GoalDialog, type GoalProgress } from "./GoalDialog";
import { LAST_30_DAYS, periods } from "./period";

// Charts (recharts) load with the products card only, not with every screen.
const ProductsCard = lazy(() => import("./Products").then((m) => ({ default: m.ProductsCard })));
const ProductCatalog = lazy(() => import("./Products").then((m) => ({ default: m.ProductCatalog })));

type RepRow = components["schemas"]["RepRow"];

const GOAL_LABELS: Record<string, string> = {
  revenue: "Revenue",
  conversions: "Customers won",
  calls: "Calls",
  meetings: "Meetings",
  tasks_done: "Tasks done",
};

function Goals({ goals }: { goals: Record<string, GoalProgress> }) {
  const order = Object.keys(GOAL_LABELS);
  const entries = Object.entries(goals ?? {}).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
  if (!entries.length) return <Text size="sm" c="dimmed">No goals</Text>;
  return (
    <Stack gap={4} miw={170}>
      {entries.map(([name, g]) => {
        const done = g.attainment == null ? null : Math.round(g.attainment * 100);
        const amount = (v: number | null) => (g.currency ? money({ [g.currency]: v ?? 0 }) : Math.round(v ?? 0).toLocaleString("en-US"));
        return (
          <div key={name} data-testid="goal">
            <Text size="xs">
              {GOAL_LABELS[name] ?? name}: {amount(g.actual)} of {amount(g.target)}
              {done != null ? ` (${done}%)` : ""}
            </Text>
            <Progress size="sm" value={Math.min(done ?? 0, 100)} color={(done ?? 0) >= 100 ? "teal" : "indigo"} />
          </div>
        );
      })}
    </Stack>
  );
}

const METRICS: { key: keyof RepRow; label: string }[] = [
  { key: "leads_owned", label: "Leads owned" },
  { key: "calls", label: "Calls" },
  { key: "meetings", label: "Meetings" },
  { key: "tasks_done", label: "Tasks done" },
  { key: "tasks_overdue", label: "Overdue" },
  { key: "conversions", label: "Customers won" },
];

const pct = (x: number | null | undefined) => (x == null ? "—" : `${Math.round(x * 1000) / 10}%`);

export function ReportsPage() {
  const { data: reps } = useReps();
  const { data: segments } = useSegments();
  const [owner, setOwner] = useState<string | null>(null);
  const [source, setSource] = useState("");
  const [segment, setSegment] = useState("");
  const { can } = useAuth();
  const choices = periods();
  const [periodValue, setPeriod] = useState(LAST_30_DAYS.value);
  const period = choices.find((p) => p.value === periodValue) ?? LAST_30_DAYS;
  const range = { start: period.start, end: period.end };
  const filters = useSettled({ owner: owner ?? undefined, source: source || undefined, segment: segment || undefined }, 300);
  const funnel = useQuery({
    queryKey: ["report", "funnel", filters, range],
    queryFn: () => ok(reporting.GET("/v1/reports/funnel", { params: { query: { ...filters, ...range } } })),
    refetchInterval: 10_000,
  });
  const board = useQuery({
    queryKey: ["report", "leaderboard", filters.owner, range],
    queryFn: () => ok(reporting.GET("/v1/reports/leaderboard", { params: { query: { owner: filters.owner, ...range } } })),
    refetchInterval: 10_000,
  });
  const [goalsOf, setGoalsOf] = useState<RepRow | null>(null);
  const rows = board.data?.reps ?? [];
  // Owners who are no rep (a removed user's id, an import's owner) show, dimmed, but do not
  // drag the team's average.
  const isRep = (owner: string) => (reps ?? []).some((r) => r.id === owner);
  const team = rows.filter((r) => isRep(r.owner));
  const average = (k: keyof RepRow) => (team.length ? team.reduce((s, r) => s + Number(r[k] ?? 0), 0) / team.length : 0);
  const top = Math.max(1, ...(funnel.data?.stages ?? []).map((s) => s.reached));
  const contactsOf = (stage: string) => {
    const q = new URLSearchParams({ stage });
    if (owner) q.set("owner_id", owner);
    if (source) q.set("source", source);
    return `/contacts?${q}`;
  };

  return (
    <Stack>
      <Title order={2}>Reports</Title>
      <Card withBorder>
        <Group align="flex-end">
          <Select
            label="Owner"
            placeholder="Everyone"
            clearable
            value={owner}
            onChange={setOwner}
            data={(reps ?? []).map((r) => ({ value: r.id, label: (r.name as string) || r.id }))}
          />
          <TextInput label="Lead source" placeholder="e.g. web" value={source} onChange={(e) => setSource(e.currentTarget.value)} />
          <Select
            label="Segment"
            placeholder="All contacts"
            clearable
            searchable
            value={segment || null}
            onChange={(v) => setSegment(v ?? "")}
            data={(segments ?? []).map((s) => ({ value: s.id, label: `${s.name} (${s.members})` }))}
            nothingFoundMessage="No segment by that name"
          />
          <Select
            label="Period"
            data={choices.map((p) => ({ value: p.value, label: p.label }))}
            value={periodValue}
            onChange={(v) => setPeriod(v ?? LAST_30_DAYS.value)}
            allowDeselect={false}
            w={230}
          />
          <Text size="sm" c="dimmed">
            Refreshes by itself
          </Text>
        </Group>
      </Card>
      <SimpleGrid cols={{ base: 1, xl: 2 }}>
        <Card withBorder>
          <Title order={4}>Funnel</Title>
          <Text size="sm" c="dimmed" mb="sm">
            How many reached each stage; click a stage for its contacts. Overall conversion {pct(funnel.data?.overall_conversion)}.
          </Text>
          {funnel.error && <Text c="red">{funnel.error.message}</Text>}
          <Stack gap="xs" aria-label="Funnel">
            {(funnel.data?.stages ?? []).map((s) => (
              <div key={s.stage} data-testid="funnel-stage">
                <Group justify="space-between">
                  <Anchor component={Link} to={contactsOf(s.stage)}>
                    {stageLabel(s.stage)}
                  </Anchor>
                  <Text size="sm">
                    {s.reached} reached · {s.now} now
                    {s.conversion_to_next != null ? ` · ${pct(s.conversion_to_next)} go on` : ""}
                  </Text>
                </Group>
                <Progress value={(s.reached / top) * 100} size="lg" />
              </div>
            ))}
          </Stack>
        </Card>
        <Card withBorder>
          <Title order={4}>Leaderboard</Title>
          <Text size="sm" c="dimmed" mb="sm">
            {period.label}: each rep ranked in their team and beside its median; revenue in each currency it was paid in. Click a rep for their leads.
          </Text>
          {board.error && <Text c="red">{board.error.message}</Text>}
          <Table.ScrollContainer minWidth={1000}>
            <Table aria-label="Leaderboard" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Rep</Table.Th>
                  {METRICS.map((m) => (
                    <Table.Th key={m.key}>{m.label}</Table.Th>
                  ))}
                  <Table.Th>Revenue</Table.Th>
                  <Table.Th>Goals{period.month ? "" : " (months in the period)"}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((r) => (
                  <Table.Tr key={r.owner} data-testid="leaderboard-row" opacity={isRep(r.owner) ? 1 : 0.6}>
                    <Table.Td>
                      <Anchor component={Link} to={`/contacts?owner_id=${encodeURIComponent(r.owner)}`}>
                        {repName(reps, r.owner)}
                      </Anchor>
                      {r.rank != null && (
                        <Tooltip label={`${r.team ? `Team ${r.team}` : "Reps without a team"}: ranked on customers won, then meetings, calls, tasks done, leads`}>
                          <Badge ml={6} size="xs" variant="outline" data-testid="team-rank">
                            #{r.rank} of {r.team_size}
                            {r.team ? ` · ${r.team}` : ""}
                          </Badge>
                        </Tooltip>
                      )}
                      {!isRep(r.owner) && (
                        <Tooltip label="Owns records but is no rep: left out of the team's rank and median">
                          <Badge ml={6} size="xs" color="gray" variant="light">
                            not a rep
                          </Badge>
                        </Tooltip>
                      )}
                    </Table.Td>
                    {METRICS.map((m) => {
                      const v = Number(r[m.key] ?? 0);
                      // Against the rep's own team (its median, from the service); else everyone's average.
                      const median = r.team_median[m.key];
                      const avg = median ?? average(m.key);
                      const better = m.key === "tasks_overdue" ? v < avg : v > avg;
                      return (
                        <Table.Td key={m.key}>
                          <Tooltip label={median != null ? `team median ${median}` : `everyone's average ${Math.round(avg * 10) / 10}`}>
                            <Badge styles={{ label: { overflow: "visible" } }} variant={better ? "filled" : "light"} color={v === avg ? "gray" : better ? "teal" : "orange"}>
                              {v}
                            </Badge>
                          </Tooltip>
                        </Table.Td>
                      );
                    })}
                    <Table.Td style={{ whiteSpace: "nowrap" }}>{money(r.revenue)}</Table.Td>
                    <Table.Td>
                      <Stack gap={4} align="flex-start">
                        <Goals goals={r.goals} />
                        {can("reports:write") && period.month && isRep(r.owner) && (
                          <Button size="compact-xs" variant="light" onClick={() => setGoalsOf(r)} aria-label={`Set goals of ${repName(reps, r.owner)}`}>
                            Set goals
                          </Button>
                        )}
                      </Stack>
                    </Table.Td>
                  </Table.Tr>
                ))}
                {team.length > 0 && (
                  <Table.Tr>
                    <Table.Td fw={600}>Everyone's average</Table.Td>
                    {METRICS.map((m) => (
                      <Table.Td key={m.key}>{Math.round(average(m.key) * 10) / 10}</Table.Td>
                    ))}
                    <Table.Td />
                    <Table.Td />
                  </Table.Tr>
                )}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Card>
      </SimpleGrid>
      <Suspense fallback={<Loader size="sm" />}>
        <ProductsCard range={range} filters={filters} label={period.label} />
      </Suspense>
      <CommissionsCard range={range} owner={filters.owner} label={period.label} />
      {can("reports:write") && <CommissionPlans />}
      {can("reports:write") && (
        <Suspense fallback={<Loader size="sm" />}>
          <ProductCatalog />
        </Suspense>
      )}
      {goalsOf && period.month && (
        <GoalDialog
          rep={goalsOf.owner}
          name={repName(reps, goalsOf.owner)}
          month={period.month}
          label={period.label}
          current={goalsOf.goals ?? {}}
          onClose={() => setGoalsOf(null)}
        />
      )}
    </Stack>
  );
}
