import { Card, Group, Stack, Table, Text, Title } from "@mantine/core";
import type { components } from "../generated/contacts";
import { ago, money } from "../format";

type History = components["schemas"]["PurchaseHistory"];

// What the contact bought, as the contacts service sums it (segments filter on the same):
// orders and money per currency, then product by product.
export function Purchases({ history }: { history?: History | null }) {
  if (!history || history.orders === 0) return null;
  return (
    <Card withBorder data-testid="purchases">
      <Stack gap="xs">
        <Title order={4}>Purchases</Title>
        <Group gap="lg">
          <Text size="sm">
            <b>{history.orders}</b> {history.orders === 1 ? "order" : "orders"}
          </Text>
          <Text size="sm">
            <b>{money(history.spent, true)}</b> spent
          </Text>
          <Text size="sm" c="dimmed">
            last {ago(history.last_at)}
          </Text>
        </Group>
        {history.products.length > 0 && (
          <Table aria-label="Products bought">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Product</Table.Th>
                <Table.Th>Orders</Table.Th>
                <Table.Th>Units</Table.Th>
                <Table.Th>Spent</Table.Th>
                <Table.Th>Last</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {history.products.map((p) => (
                <Table.Tr key={p.name} data-testid="bought-product">
                  <Table.Td>
                    <Text size="sm">{p.title ?? p.name}</Text>
                    {p.title && p.title !== p.name && (
                      <Text size="xs" c="dimmed">
                        {p.name}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{p.orders}</Table.Td>
                  <Table.Td>{p.units}</Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>{money(p.spent, true)}</Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>{ago(p.last_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {history.categories.length > 0 && (
          <Text size="xs" c="dimmed">
            Categories: {history.categories.map((c) => `${c.name} (${c.orders})`).join(", ")}
          </Text>
        )}
      </Stack>
    </Card>
  );
}
