import { Alert, Badge, Card, Code, Group, Select, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { isEmail, isNotEmpty, useForm } from "@mantine/form";
import { useState } from "react";
import { consoleApi, ok } from "../client";
import { useAuth } from "../auth";
import { ago } from "../format";
import { submitTo, useChange, useReps } from "../hooks";
import type { CreatedUser, Role } from "../types";
import { FormActions, Unplaced } from "../components/FormActions";

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
  const users = useQuery({ queryKey: ["users"], queryFn: () => ok(consoleApi.GET("/v1/users")) });
  const form = useForm({
    initialValues: { email: "", name: "", role: "rep" as Role, rep_id: null as string | null, password: "" },
    validate: { email: isEmail("An email address, like ana@example.com"), name: isNotEmpty("Their name") },
  });
  const [created, setCreated] = useState<CreatedUser | null>(null);
  const create = useChange(
    ({ rep_id, password, ...v }: typeof form.values) =>
      ok(consoleApi.POST("/v1/users", { body: { ...v, ...(rep_id && v.role === "rep" ? { rep_id } : {}), ...(password ? { password } : {}) } })),
    [["users"]],
    "User created",
  );
  const change = useChange(
    (v: { id: string; body: { role?: Role; disabled?: boolean } }) =>
      ok(consoleApi.PATCH("/v1/users/{user_id}", { params: { path: { user_id: v.id } }, body: v.body })),
    [["users"]],
    "User changed",
  );
  const add = submitTo(form, create, (u) => {
    setCreated(u);
    form.reset();
  });

  return (
    <Stack>
      <Title order={2}>Users</Title>
      <Card withBorder maw={720}>
        <Stack>
          <Title order={4}>Add a user</Title>
          <form onSubmit={add}>
            <Stack>
              <Group grow>
                <TextInput label="Email" required {...form.getInputProps("email")} />
                <TextInput label="Name" required {...form.getInputProps("name")} />
              </Group>
              <Select label="Role" data={ROLES} allowDeselect={false} {...form.getInputProps("role")} />
              {form.values.role === "rep" && (
                <Select
                  label="Works as rep"
                  description="Their tasks and leads are this rep's"
                  data={(reps ?? []).map((r) => ({ value: r.id, label: `${(r.name as string) || r.id} (${r.id})` }))}
                  {...form.getInputProps("rep_id")}
                />
              )}
              <TextInput label="Password" description="Leave empty to generate one (shown once)" {...form.getInputProps("password")} />
              <Unplaced error={create.error} placed={form.errors} />
              {created?.initial_password && (
                <Alert color="green" title={`Created ${created.email}`}>
                  Their password, shown this once: <Code data-testid="initial-password">{created.initial_password}</Code>
                </Alert>
              )}
              <FormActions submit="Add user" busy={create.isPending} />
            </Stack>
          </form>
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
                    onChange={(v) => v && change.mutate({ id: u.id, body: { role: v as Role } })}
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
