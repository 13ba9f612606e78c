import { Anchor, Badge, Button, Group, Stack, Table, Tabs, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { automation, ok } from "../client";
import { useAuth } from "../auth";
import { useChange } from "../hooks";
import { asSaved, Builder, useProgress } from "./Builder";
import { type Definition, fromDefinition, NEW_DEFINITION } from "./definition";
import { Gallery } from "./Gallery";

// What is open in the builder: nothing, a new draft (maybe from a template), or a saved workflow.
type Open = { kind: "new"; definition: Definition; key: number } | { kind: "saved"; id: string } | null;

function Counts({ id }: { id: string }) {
  const { data } = useProgress(id);
  if (!data) return <Text c="dimmed">—</Text>;
  return (
    <Text size="sm" data-testid="workflow-counts">
      {data.in_progress.toLocaleString()} in progress · {data.completed.toLocaleString()} completed · {data.goal_reached.toLocaleString()} reached the goal
    </Text>
  );
}

export function WorkflowsPage() {
  const { can } = useAuth();
  const list = useQuery({ queryKey: ["workflows"], queryFn: () => ok(automation.GET("/v1/workflows")).then(asSaved), refetchInterval: 10_000 });
  const [open, setOpen] = useState<Open>(can("workflows:write") ? { kind: "new", definition: NEW_DEFINITION, key: 0 } : null);
  const [tab, setTab] = useState<string | null>("workflows");
  const change = useChange(
    ({ id, verb }: { id: string; verb: "activate" | "pause" | "archive" }) => ok(automation.POST(`/v1/workflows/{workflow_id}/${verb}`, { params: { path: { workflow_id: id } } })),
    [["workflows"]],
    "Workflow changed",
  );
  const saved = open?.kind === "saved" ? list.data?.find((w) => w.id === open.id) : undefined;
  const start = (definition: Definition) => {
    setOpen({ kind: "new", definition: fromDefinition(definition), key: Date.now() });
    setTab("workflows");
  };
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Workflows</Title>
        {can("workflows:write") && (
          <Button variant="light" onClick={() => start(NEW_DEFINITION)}>
            New workflow
          </Button>
        )}
      </Group>
      <Text c="dimmed" maw={760}>
        A workflow enrolls a contact the moment its trigger happens and takes them through its steps; each email and task happens once per person. Open one to change it or see how many people are at each step.
      </Text>
      <Tabs value={tab} onChange={setTab}>
        <Tabs.List>
          <Tabs.Tab value="workflows">Your workflows</Tabs.Tab>
          <Tabs.Tab value="templates">Start from a template</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="templates" pt="md">
          <Gallery onUse={start} />
        </Tabs.Panel>
        <Tabs.Panel value="workflows" pt="md">
          <Stack>
            {open?.kind === "new" && can("workflows:write") && <Builder key={open.key} initial={open.definition} onDone={() => setOpen(null)} />}
            {saved && <Builder key={`${saved.id}:${saved.version}`} initial={fromDefinition(saved.definition)} workflow={saved} readOnly={!can("workflows:write")} onDone={() => setOpen(null)} />}
            {list.error && <Text c="red">{list.error.message}</Text>}
            <Table.ScrollContainer minWidth={640}>
              <Table striped aria-label="Workflows">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Workflow</Table.Th>
                    <Table.Th>Steps</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>People</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {(list.data ?? []).map((w) => (
                    <Table.Tr key={w.id} data-testid="workflow-row">
                      <Table.Td>
                        <Anchor component="button" onClick={() => setOpen({ kind: "saved", id: w.id })} aria-label={`Open ${w.definition.name}`}>
                          {w.definition.name}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{w.definition.steps.length}</Table.Td>
                      <Table.Td>
                        <Badge variant="light" color={w.status === "active" ? "teal" : "gray"}>
                          {w.status}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        <Counts id={w.id} />
                      </Table.Td>
                      <Table.Td>
                        {can("workflows:write") && w.status !== "archived" && (
                          <Group gap="xs" wrap="nowrap">
                            {w.status === "active" ? (
                              <Button size="compact-xs" variant="light" onClick={() => change.mutate({ id: w.id, verb: "pause" })} aria-label={`Pause ${w.definition.name}`}>
                                Pause
                              </Button>
                            ) : (
                              <Button size="compact-xs" onClick={() => change.mutate({ id: w.id, verb: "activate" })} aria-label={`Activate ${w.definition.name}`}>
                                Activate
                              </Button>
                            )}
                            {w.status !== "active" && (
                              <Button size="compact-xs" variant="subtle" color="gray" onClick={() => change.mutate({ id: w.id, verb: "archive" })} aria-label={`Archive ${w.definition.name}`}>
                                Archive
                              </Button>
                            )}
                          </Group>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Stack>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
