import { Alert, Button, Card, Group, NumberInput, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { fieldErrors, svc } from "../api";
import { useAuth } from "../auth";
import { useChange, useReps } from "../hooks";
import type { Rep } from "../types";

// Reps are who workflows hand leads to, round-robin by weight; unavailable ones are skipped.
export function RepsPage() {
  const { can } = useAuth();
  const editable = can("reps:write");
  const { data: reps, error } = useReps();
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [manager, setManager] = useState("");
  const add = useChange(
    () =>
      svc.put<Rep>("automation", `/reps/${encodeURIComponent(id)}`, { name, ...(email ? { email } : {}), ...(manager ? { manager_email: manager } : {}), weight: 1, available: true }),
    [["reps"]],
    "Rep added",
  );
  const change = useChange(
    (r: Rep) => svc.put<Rep>("automation", `/reps/${encodeURIComponent(r.id)}`, { name: r.name || r.id, email: r.email ?? null, manager_email: r.manager_email ?? null, weight: r.weight ?? 1, available: r.available ?? true }),
    [["reps"]],
    "Rep changed",
  );
  const fields = fieldErrors(add.error);

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
            <Group grow align="flex-start">
              <TextInput label="Rep id" description="Short, no spaces, e.g. ana" value={id} onChange={(e) => setId(e.currentTarget.value.trim())} error={fields.rep_id} required />
              <TextInput label="Rep name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fields.name} required />
              <TextInput label="Rep email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={fields.email} />
            </Group>
            <TextInput
              label="Manager's email"
              description="Told when one of this rep's tasks is still undone a day after it was due"
              value={manager}
              onChange={(e) => setManager(e.currentTarget.value)}
              error={fields.manager_email}
              maw={340}
            />
            {add.error && !Object.keys(fields).length && <Alert color="red">{add.error.message}</Alert>}
            <Group justify="flex-end">
              <Button
                disabled={!id || !name}
                loading={add.isPending}
                onClick={() =>
                  add.mutate(undefined, {
                    onSuccess: () => {
                      setId("");
                      setName("");
                      setEmail("");
                      setManager("");
                    },
                  })
                }
              >
                Add rep
              </Button>
            </Group>
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
