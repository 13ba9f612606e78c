import { Alert, Card, Group, NumberInput, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { isNotEmpty, useForm } from "@mantine/form";
import { automation, ok } from "../client";
import { useAuth } from "../auth";
import { submitTo, useChange, useReps } from "../hooks";
import type { Rep } from "../types";
import { FormActions, Unplaced } from "../components/FormActions";

// Reps are who workflows hand leads to, round-robin by weight; unavailable ones are skipped.
export function RepsPage() {
  const { can } = useAuth();
  const editable = can("reps:write");
  const { data: reps, error } = useReps();
  const form = useForm({
    initialValues: { rep_id: "", name: "", email: "", manager_email: "", team: "" },
    transformValues: (v) => ({ ...v, rep_id: v.rep_id.trim() }),
    validate: {
      rep_id: (v) => (/^\S+$/.test(v.trim()) ? null : "Short, no spaces, e.g. ana"),
      name: isNotEmpty("Their name"),
      email: (v) => (!v || /^\S+@\S+$/.test(v) ? null : "An email address, or nothing"),
      manager_email: (v) => (!v || /^\S+@\S+$/.test(v) ? null : "An email address, or nothing"),
    },
  });
  const add = useChange(
    ({ rep_id, name, email, manager_email, team }: { rep_id: string; name: string; email: string; manager_email: string; team: string }) =>
      ok(
        automation.PUT("/v1/reps/{rep_id}", {
          params: { path: { rep_id } },
          body: { name, email: email || null, manager_email: manager_email || null, team: team.trim() || null, weight: 1, available: true },
        }),
      ),
    [["reps"]],
    "Rep added",
  );
  const change = useChange(
    (r: Rep) =>
      ok(
        automation.PUT("/v1/reps/{rep_id}", {
          params: { path: { rep_id: r.id } },
          body: { name: r.name || r.id, email: r.email ?? null, manager_email: r.manager_email ?? null, team: r.team ?? null, weight: r.weight ?? 1, available: r.available ?? true },
        }),
      ),
    [["reps"]],
    "Rep changed",
  );
  const submit = submitTo(form, add, () => form.reset());

  return (
    <Stack>
      <Title order={2}>Reps</Title>
      <Text c="dimmed" maw={720}>
        Workflows hand new leads to reps in turn. A rep with weight 2 gets twice the leads of a rep with weight 1; a rep who is away is
        skipped until they are back.
      </Text>
      {editable && (
        <Card withBorder maw={720}>
          <Stack>
            <Title order={4}>Add a rep</Title>
            <form onSubmit={submit}>
              <Stack>
                <Group grow align="flex-start">
                  <TextInput label="Rep id" description="Short, no spaces, e.g. ana" required {...form.getInputProps("rep_id")} />
                  <TextInput label="Rep name" required {...form.getInputProps("name")} />
                  <TextInput label="Rep email" {...form.getInputProps("email")} />
                </Group>
                <Group grow align="flex-start">
                  <TextInput
                    label="Manager's email"
                    description="Told when one of this rep's tasks is still undone a day after it was due"
                    {...form.getInputProps("manager_email")}
                  />
                  <TextInput label="Team" description="The leaderboard ranks reps within their team" placeholder="e.g. East" {...form.getInputProps("team")} />
                </Group>
                <Unplaced error={add.error} placed={form.errors} />
                <FormActions submit="Add rep" busy={add.isPending} />
              </Stack>
            </form>
          </Stack>
        </Card>
      )}
      {error && <Text c="red">{error.message}</Text>}
      {change.error && <Alert color="red">{change.error.message}</Alert>}
      <Table.ScrollContainer minWidth={560}>
        <Table striped aria-label="Reps">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Rep</Table.Th>
              <Table.Th>Email</Table.Th>
              <Table.Th>Team</Table.Th>
              <Table.Th>Overdue tasks go to</Table.Th>
              <Table.Th>Share of new leads (weight)</Table.Th>
              <Table.Th>Taking leads</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(reps ?? []).map((r) => (
              <Table.Tr key={r.id} data-testid="rep-row">
                <Table.Td>
                  {(r.name as string) || r.id} <Text span c="dimmed" size="sm">({r.id})</Text>
                </Table.Td>
                <Table.Td>{(r.email as string) || "—"}</Table.Td>
                <Table.Td>
                  <TextInput
                    aria-label={`Team of ${r.name || r.id}`}
                    placeholder="none"
                    defaultValue={r.team ?? ""}
                    disabled={!editable}
                    w={140}
                    onBlur={(e) => {
                      const to = e.currentTarget.value.trim() || null;
                      if (to !== (r.team ?? null)) change.mutate({ ...r, team: to });
                    }}
                  />
                </Table.Td>
                <Table.Td>
                  <TextInput
                    aria-label={`Manager of ${r.name || r.id}`}
                    placeholder="nobody"
                    defaultValue={r.manager_email ?? ""}
                    disabled={!editable}
                    w={220}
                    onBlur={(e) => {
                      const to = e.currentTarget.value.trim() || null;
                      if (to !== (r.manager_email ?? null)) change.mutate({ ...r, manager_email: to });
                    }}
                  />
                </Table.Td>
                <Table.Td>
                  <NumberInput
                    aria-label={`Weight of ${r.name || r.id}`}
                    value={r.weight ?? 1}
                    min={0}
                    max={100}
                    step={1}
                    w={110}
                    disabled={!editable}
                    onBlur={(e) => {
                      const weight = Number(e.currentTarget.value);
                      if (Number.isFinite(weight) && weight !== (r.weight ?? 1)) change.mutate({ ...r, weight });
                    }}
                  />
                </Table.Td>
                <Table.Td>
                  <Switch
                    aria-label={`${r.name || r.id} takes new leads`}
                    checked={r.available ?? true}
                    label={(r.available ?? true) ? "Taking leads" : "Away"}
                    disabled={!editable}
                    onChange={(e) => change.mutate({ ...r, available: e.currentTarget.checked })}
                  />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
