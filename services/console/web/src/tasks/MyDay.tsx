import { Badge, Button, Card, Grid, Group, Select, Stack, Table, Text, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useQuery } from "@tanstack/react-query";
import dayjs from "dayjs";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { automation, contacts, ok } from "../client";
import { ScoreBadge } from "../contacts/ScoreBadge";
import { useAuth } from "../auth";
import { TaskList } from "./TaskList";
import { contactName, stageLabel } from "../format";
import { useReps } from "../hooks";
import { useDesktopPermission, useReminders } from "./reminders";

// Task lists and new leads refresh on their own: what a workflow assigns shows up without
// a reload, and a new lead is announced.
const LIVE_MS = 3000;

export function MyDayPage() {
  const { me } = useAuth();
  const { data: reps } = useReps();
  const [rep, setRep] = useState<string | null>(me?.rep_id ?? null);

  const tasks = useQuery({
    queryKey: ["tasks", "open", rep],
    queryFn: () => ok(automation.GET("/v1/tasks", { params: { query: { owner_id: rep, status: "open", limit: 500 } } })),
    refetchInterval: LIVE_MS,
  });
  const leads = useQuery({
    queryKey: ["leads", rep],
    queryFn: () =>
      ok(
        contacts.GET("/v1/contacts", {
          params: { query: { owner_id: rep ?? undefined, stage: "subscriber,lead,marketing_qualified,sales_qualified,opportunity", limit: 200 } },
        }),
      ),
    enabled: !!rep,
    refetchInterval: LIVE_MS,
  });

  const known = useRef<Set<string> | null>(null);
  useEffect(() => {
    if (!leads.data) return;
    const ids = new Set(leads.data.items.map((c) => c.id));
    if (known.current) {
      for (const c of leads.data.items) {
        if (!known.current.has(c.id)) notifications.show({ title: "New lead assigned to you", message: contactName(c), color: "indigo" });
      }
    }
    known.current = ids;
  }, [leads.data]);
  useEffect(() => {
    known.current = null;
  }, [rep]);

  const now = dayjs();
  const endOfDay = now.endOf("day");
  const open = tasks.data ?? [];
  const overdue = open.filter((t) => dayjs(t.due_at).isBefore(now));
  const today = open.filter((t) => !dayjs(t.due_at).isBefore(now) && dayjs(t.due_at).isBefore(endOfDay));
  const upcoming = open.filter((t) => !dayjs(t.due_at).isBefore(endOfDay));
  const names = Object.fromEntries((leads.data?.items ?? []).map((c) => [c.id, contactName(c)]));
  const byScore = [...(leads.data?.items ?? [])].sort((a, b) => (Number(b.score) || 0) - (Number(a.score) || 0));
  useReminders(tasks.data, names);
  const [permission, askPermission] = useDesktopPermission();

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{me?.rep_id ? "My day" : "The team's day"}</Title>
        {!me?.rep_id || me.role !== "rep" ? (
          <Select
            aria-label="Rep"
            placeholder="Everyone"
            clearable
            value={rep}
            onChange={setRep}
            data={(reps ?? []).map((r) => ({ value: r.id, label: (r.name as string) || r.id }))}
          />
        ) : null}
      </Group>
      {permission === "default" && (
        <Group gap="xs">
          <Text size="sm" c="dimmed">
            Reminders show here before a task is due, and by email.
          </Text>
          <Button size="compact-sm" variant="light" onClick={askPermission}>
            Also on the desktop
          </Button>
        </Group>
      )}
      {tasks.error && <Text c="red">{tasks.error.message}</Text>}
      <Grid>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack>
            <Section title="Overdue" count={overdue.length} color="red">
              <TaskList tasks={overdue} contactNames={names} empty="Nothing overdue." />
            </Section>
            <Section title="Today" count={today.length} color="indigo">
              <TaskList tasks={today} contactNames={names} empty="Nothing else due today." />
            </Section>
            <Section title="Upcoming" count={upcoming.length} color="gray">
              <TaskList tasks={upcoming} contactNames={names} empty="Nothing planned yet." />
            </Section>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Card withBorder>
            <Title order={4} mb="xs">
              {rep ? "Leads to work, best first" : "Pick a rep to see their leads"}
            </Title>
            {rep && (
              <Table highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Lead</Table.Th>
                    <Table.Th>Stage</Table.Th>
                    <Table.Th>Engagement · fit</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {byScore.map((c) => (
                    <Table.Tr key={c.id} data-testid="lead">
                      <Table.Td>
                        <Link to={`/contacts/${c.id}`}>{contactName(c)}</Link>
                        <Text size="xs" c="dimmed">
                          {c.company}
                        </Text>
                      </Table.Td>
                      <Table.Td>{stageLabel(c.lifecycle_stage)}</Table.Td>
                      <Table.Td>
                        <ScoreBadge score={c.score} band={c.score_band} grade={c.grade} />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
            {rep && !byScore.length && <Text c="dimmed">No open leads.</Text>}
          </Card>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}

function Section({ title, count, color, children }: { title: string; count: number; color: string; children: React.ReactNode }) {
  return (
    <Stack gap="xs">
      <Group gap="xs">
        <Title order={4}>{title}</Title>
        <Badge color={color} variant="light">
          {count}
        </Badge>
      </Group>
      {children}
    </Stack>
  );
}
