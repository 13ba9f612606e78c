import { Anchor, Badge, Card, Group, Progress, Select, SimpleGrid, Stack, Table, Text, TextInput, Title, Tooltip } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { svc } from "../api";
import { money, stageLabel } from "../format";
import { repName, useReps, useSegments } from "../hooks";

interface Stage {
  stage: string;
  now: number;
  reached: number;
  conversion_to_next: number | null;
  median_days_in_stage: number | null;
}
interface Funnel {
  stages: Stage[];
  exits: { stage: string; now: number; reached: number }[];
  overall_conversion: number | null;
}
interface RepRow {
  owner: string;
  leads_owned: number;
  calls: number;
  meetings: number;
  tasks_done: number;
  tasks_overdue: number;
  conversions: number;
  revenue: Record<string, number>; // per currency
  response_median_hours: number | null;
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
  const [filters] = useDebouncedValue({ owner: owner ?? undefined, source: source || undefined, segment: segment || undefined }, 300);
  const funnel = useQuery({ queryKey: ["report", "funnel", filters], queryFn: () => svc.get<Funnel>("reporting", "/reports/funnel", filters), refetchInterval: 10_000 });
  const board = useQuery({
    queryKey: ["report", "leaderboard", filters.owner],
    queryFn: () => svc.get<{ reps: RepRow[] }>("reporting", "/reports/leaderboard", { owner: filters.owner }),
    refetchInterval: 10_000,
  });
  const team = board.data?.reps ?? [];
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
          <Text size="sm" c="dimmed">
            Last 30 days · refreshes by itself
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
            Each rep beside the team average; revenue in each currency it was paid in.
          </Text>
          {board.error && <Text c="red">{board.error.message}</Text>}
          <Table.ScrollContainer minWidth={600}>
            <Table aria-label="Leaderboard" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Rep</Table.Th>
                  {METRICS.map((m) => (
                    <Table.Th key={m.key}>{m.label}</Table.Th>
                  ))}
                  <Table.Th>Revenue</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {team.map((r) => (
                  <Table.Tr key={r.owner} data-testid="leaderboard-row">
                    <Table.Td>{repName(reps, r.owner)}</Table.Td>
                    {METRICS.map((m) => {
                      const v = Number(r[m.key] ?? 0);
                      const avg = average(m.key);
                      const better = m.key === "tasks_overdue" ? v < avg : v > avg;
                      return (
                        <Table.Td key={m.key}>
                          <Tooltip label={`team average ${Math.round(avg * 10) / 10}`}>
                            <Badge styles={{ label: { overflow: "visible" } }} variant={better ? "filled" : "light"} color={v === avg ? "gray" : better ? "teal" : "orange"}>
                              {v}
                            </Badge>
                          </Tooltip>
                        </Table.Td>
                      );
                    })}
                    <Table.Td style={{ whiteSpace: "nowrap" }}>{money(r.revenue)}</Table.Td>
                  </Table.Tr>
                ))}
                {team.length > 0 && (
                  <Table.Tr>
                    <Table.Td fw={600}>Team average</Table.Td>
                    {METRICS.map((m) => (
                      <Table.Td key={m.key}>{Math.round(average(m.key) * 10) / 10}</Table.Td>
                    ))}
                    <Table.Td />
                  </Table.Tr>
                )}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
