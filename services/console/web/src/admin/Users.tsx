import { Alert, Badge, Button, Card, Code, Group, Select, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { fieldErrors, request } from "../api";
import { useAuth } from "../auth";
import { ago } from "../format";
import { useChange, useReps } from "../hooks";
import type { CreatedUser, Role, User } from "../types";

const ROLES: { value: Role; label: string }[] = [
  { value: "rep", label: "Sales rep: works leads and tasks" },
  { value: "manager", label: "Sales manager: reps, goals, the team's work" },
  { value: "marketer", label: "Marketer: segments, scoring, workflows" },
  { value: "viewer", label: "Viewer: reads everything, changes nothing" },
  { value: "admin", label: "Administrator: everything, users too" },
];

export function UsersPage() {
  const { me } = useAuth();
  const { data: reps } = useReps();
  const users = useQuery({ queryKey: ["users"], queryFn: () => request<User[]>("GET", "/v1/users") });
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<string | null>("rep");
  const [repId, setRepId] = useState<string | null>(null);
  const [password, setPassword] = useState("");
  const [created, setCreated] = useState<CreatedUser | null>(null);
  const create = useChange(
    () => request<CreatedUser>("POST", "/v1/users", { email, name, role, ...(repId && role === "rep" ? { rep_id: repId } : {}), ...(password ? { password } : {}) }),
    [["users"]],
    "User created",
  );
  const change = useChange((v: { id: string; body: Record<string, unknown> }) => request<User>("PATCH", `/v1/users/${v.id}`, v.body), [["users"]], "User changed");
  const fields = fieldErrors(create.error);

  return (
    <Stack>
      <Title order={2}>Users</Title>
      <Card withBorder maw={720}>
        <Stack>
          <Title order={4}>Add a user</Title>
          <Group grow>
            <TextInput label="Email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={fields.email} required />
            <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fields.name} required />
          </Group>
          <Select label="Role" data={ROLES} value={role} onChange={setRole} error={fields.role} allowDeselect={false} />
          {role === "rep" && (
            <Select
              label="Works as rep"
              description="Their tasks and leads are this rep's"
              data={(reps ?? []).map((r) => ({ value: r.id, label: `${(r.name as string) || r.id} (${r.id})` }))}
              value={repId}
              onChange={setRepId}
              error={fields.rep_id ?? fields._}
            />
          )}
          <TextInput label="Password" description="Leave empty to generate one (shown once)" value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={fields.password} />
          {create.error && !Object.keys(fields).length && <Alert color="red">{create.error.message}</Alert>}
          {created?.initial_password && (
            <Alert color="green" title={`Created ${created.email}`}>
              Their password, shown this once: <Code data-testid="initial-password">{created.initial_password}</Code>
            </Alert>
          )}
          <Group justify="flex-end">
            <Button
              loading={create.isPending}
              onClick={() =>
                create.mutate(undefined, {
                  onSuccess: (u) => {
                    setCreated(u);
                    setEmail("");
                    setName("");
                    setPassword("");
                  },
                })
              }
            >
              Add user
            </Button>
          </Group>
        </Stack>
      </Card>
      {users.error && <Text c="red">{users.error.message}</Text>}
      {change.error && <Text c="red">{change.error.message}</Text>}
      <Table.ScrollContainer minWidth={700}>
        <Table striped aria-label="Users">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Email</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Rep</Table.Th>
              <Table.Th>Last sign-in</Table.Th>
              <Table.Th>Can sign in</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(users.data ?? []).map((u) => (
              <Table.Tr key={u.id} data-testid="user-row">
                <Table.Td>{u.name}</Table.Td>
                <Table.Td>{u.email}</Table.Td>
                <Table.Td>
                  <Select
                    aria-label={`Role of ${u.email}`}
                    data={ROLES.map((r) => ({ value: r.value, label: r.value }))}
                    value={u.role}
                    disabled={u.id === me?.id}
                    onChange={(v) => v && change.mutate({ id: u.id, body: { role: v } })}
                    w={130}
                    allowDeselect={false}
                  />
                </Table.Td>
                <Table.Td>{u.rep_id ? <Badge variant="light">{u.rep_id}</Badge> : "—"}</Table.Td>
                <Table.Td>{ago(u.last_sign_in)}</Table.Td>
                <Table.Td>
                  <Switch
                    aria-label={`${u.email} can sign in`}
                    checked={!u.disabled}
                    disabled={u.id === me?.id}
                    onChange={(e) => change.mutate({ id: u.id, body: { disabled: !e.currentTarget.checked } })}
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
