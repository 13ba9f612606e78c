import { Anchor, Badge, Card, Group, Stack, Table, Text, Title, Tooltip } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { ok, reporting } from "../client";
import { money, stageLabel } from "../format";
import { repName, useReps } from "../hooks";

// What each rep earned in the period under the commission plans (reporting's
// /v1/commission-plans): per currency paid, product by product, and stage bonuses.
export function CommissionsCard({ range, owner, label }: { range: { start?: string; end?: string }; owner?: string; label: string }) {
  const { data: reps } = useReps();
  const report = useQuery({
    queryKey: ["report", "commissions", owner, range],
    queryFn: () => ok(reporting.GET("/v1/reports/commissions", { params: { query: { owner, ...range } } })),
    refetchInterval: 10_000,
  });
  const rows = report.data?.reps ?? [];
  return (
    <Card withBorder>
      <Title order={4}>Commissions</Title>
      <Text size="sm" c="dimmed" mb="sm">
        {label}: revenue of each rep's contacts times their plan's rate (by product, else category, else the plan's default), plus a bonus per contact
        brought to a stage. Money stays in the currency it was paid in.
      </Text>
      {report.error && <Text c="red">{report.error.message}</Text>}
      {report.data && rows.length === 0 && <Text c="dimmed">No sale or bonus in this period.</Text>}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={720}>
          <Table aria-label="Commissions" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Rep</Table.Th>
                <Table.Th>Revenue</Table.Th>
                <Table.Th>On revenue</Table.Th>
                <Table.Th>Bonuses</Table.Th>
                <Table.Th>Earned</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => (
                <Table.Tr key={r.owner} data-testid="commission-row">
                  <Table.Td>
                    <Stack gap={2}>
                      <Anchor href={`/contacts?owner_id=${encodeURIComponent(r.owner)}`}>{repName(reps, r.owner)}</Anchor>
                      <Group gap={4}>
                        {r.team && (
                          <Badge size="xs" variant="outline">
                            {r.team}
                          </Badge>
                        )}
                        {r.plans.length === 0 && (
                          <Badge size="xs" color="orange" variant="light">
                            no plan
                          </Badge>
                        )}
                      </Group>
                    </Stack>
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>{money(Object.fromEntries(r.currencies.map((c) => [c.currency, c.revenue])))}</Table.Td>
                  <Table.Td>
                    <Stack gap={2}>
                      {r.currencies.map((c) =>
                        c.products.map((p) => (
                          <Tooltip key={`${c.currency}-${p.product}`} label={`${p.category ? `${p.category} · ` : ""}${p.rate != null ? `${Math.round(p.rate * 1000) / 10}% of ${money({ [c.currency]: p.revenue }, true)}` : ""}`}>
                            <Text size="sm" data-testid="commission-product">
                              {p.name}: {money({ [c.currency]: p.commission }, true)}
                            </Text>
                          </Tooltip>
                        )),
                      )}
                    </Stack>
                  </Table.Td>
                  <Table.Td>
                    <Stack gap={2}>
                      {r.bonuses.length === 0 && <Text size="sm" c="dimmed">—</Text>}
                      {r.bonuses.map((b) => (
                        <Text size="sm" key={b.stage}>
                          {b.reached} × {stageLabel(b.stage)}: {money({ [b.currency]: b.amount }, true)}
                        </Text>
                      ))}
                    </Stack>
                  </Table.Td>
                  <Table.Td fw={600} style={{ whiteSpace: "nowrap" }} data-testid="commission-total">
                    {money(r.total, true)}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}
