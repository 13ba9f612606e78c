import { Sparkline } from "@mantine/charts";
import { ActionIcon, Badge, Button, Card, Group, Modal, NumberInput, Select, SimpleGrid, Stack, Table, Text, TextInput, Title, Tooltip } from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconPencil, IconPlus, IconTrash } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ok, reporting } from "../client";
import { FormActions, Unplaced } from "../components/FormActions";
import type { components } from "../generated/reporting";
import { CURRENCIES, money } from "../format";
import { submitTo, useChange } from "../hooks";

type Product = components["schemas"]["Product"];
type Row = components["schemas"]["ProductRow"];

// "+50 %" / "−20 %" / "new": how the last period sold against the one before.
export function changeLabel(change: number | null | undefined, lastUnits: number): { text: string; color: string } {
  if (change === null || change === undefined) return lastUnits > 0 ? { text: "new", color: "blue" } : { text: "—", color: "gray" };
  const pct = Math.round(change * 100);
  if (pct === 0) return { text: "±0 %", color: "gray" };
  return pct > 0 ? { text: `+${pct} %`, color: "green" } : { text: `−${Math.abs(pct)} %`, color: "red" };
}

// Weekly points for a period over a month, daily otherwise.
export function intervalFor(start?: string, end?: string): "day" | "week" {
  if (!start || !end) return "day";
  return (Date.parse(end) - Date.parse(start)) / 86_400_000 > 31 ? "week" : "day";
}

// What sold: top products with units, revenue, margin (from the catalog's cost) and a
// sparkline of units per period.
export function ProductsCard({ range, filters, label }: { range: { start?: string; end?: string }; filters: Record<string, string | undefined>; label: string }) {
  const interval = intervalFor(range.start, range.end);
  const report = useQuery({
    queryKey: ["report", "purchases", filters, range, interval],
    queryFn: () => ok(reporting.GET("/v1/reports/purchases", { params: { query: { ...filters, ...range, interval } } })),
    refetchInterval: 10_000,
  });
  const data = report.data;
  const rows: Row[] = data?.top_products ?? [];
  return (
    <Card withBorder>
      <Title order={4}>Products</Title>
      <Text size="sm" c="dimmed" mb="sm">
        {label}: what sold most, its margin where the catalog knows its cost, and units per {interval} — the last {interval} compared with the one
        before.
      </Text>
      {report.error && <Text c="red">{report.error.message}</Text>}
      {data && (
        <Group gap="lg" mb="sm" data-testid="purchases-summary">
          <Text size="sm">
            <b>{money(data.revenue)}</b> revenue
          </Text>
          <Text size="sm">
            <b>{data.orders.toLocaleString("en-US")}</b> orders
          </Text>
          <Text size="sm">
            <b>{data.buyers.toLocaleString("en-US")}</b> first-time {data.buyers === 1 ? "buyer" : "buyers"}
          </Text>
          <Text size="sm">
            <b>{data.repeat_purchase_rate === null ? "—" : `${Math.round(data.repeat_purchase_rate * 100)} %`}</b> bought again
          </Text>
        </Group>
      )}
      {data && rows.length === 0 && <Text c="dimmed">Nothing sold in this period.</Text>}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={720}>
          <Table aria-label="Products" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Product</Table.Th>
                <Table.Th>Units</Table.Th>
                <Table.Th>Revenue</Table.Th>
                <Table.Th>Margin</Table.Th>
                <Table.Th>Units per {interval}</Table.Th>
                <Table.Th>Last {interval}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((p) => {
                const last = p.trend.at(-1)?.units ?? 0;
                const change = changeLabel(p.change, last);
                return (
                  <Table.Tr key={p.product} data-testid="product-row">
                    <Table.Td>
                      <Text size="sm">{p.name}</Text>
                      {p.name !== p.product && (
                        <Text size="xs" c="dimmed">
                          {p.product}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{p.units.toLocaleString("en-US")}</Table.Td>
                    <Table.Td style={{ whiteSpace: "nowrap" }}>{money(p.revenue)}</Table.Td>
                    <Table.Td style={{ whiteSpace: "nowrap" }}>
                      {p.margin ? (
                        <Tooltip label={`cost ${money({ [p.margin.currency]: p.margin.cost })} for ${p.margin.units} units`}>
                          <Text size="sm">
                            {money({ [p.margin.currency]: p.margin.margin })}
                            {p.margin.margin_rate !== null && ` (${Math.round(p.margin.margin_rate * 100)} %)`}
                          </Text>
                        </Tooltip>
                      ) : (
                        <Text size="sm" c="dimmed">
                          no cost in the catalog
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Sparkline w={140} h={32} data={p.trend.map((t) => t.units)} curveType="linear" fillOpacity={0.3} aria-label={`${p.name}: units per ${interval}`} data-testid="product-trend" />
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={change.color} tt="none" data-testid="product-change">
                        {change.text}
                      </Badge>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}

interface Values {
  sku: string;
  name: string;
  category: string;
  price: number | string;
  cost: number | string;
  currency: string;
}

export function toProductBody(v: Values): components["schemas"]["ProductIn"] {
  const amount = (x: number | string) => (x === "" ? null : Number(x));
  return { name: v.name, category: v.category.trim() || null, price: amount(v.price), cost: amount(v.cost), currency: v.currency || null };
}

function ProductEditor({ product, onClose }: { product?: Product; onClose: () => void }) {
  const form = useForm<Values>({
    initialValues: {
      sku: product?.sku ?? "",
      name: product?.name ?? "",
      category: product?.category ?? "",
      price: product?.price ?? "",
      cost: product?.cost ?? "",
      currency: product?.currency ?? "EUR",
    },
    validate: {
      sku: (v) => (v.trim() ? null : "The SKU orders carry, e.g. PRO-1Y"),
      name: (v) => (v.trim() ? null : "What people call it"),
    },
  });
  const save = useChange(
    (v: Values) => ok(reporting.PUT("/v1/products/{sku}", { params: { path: { sku: v.sku.trim() } }, body: toProductBody(v) })),
    [["products"], ["report"]],
    "Product saved: margins and commission rates use it",
  );
  return (
    <Modal opened onClose={onClose} title={product ? `Product ${product.sku}` : "New product"} size="lg">
      <form onSubmit={submitTo(form, save, onClose)}>
        <Stack>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="SKU" description="as orders carry it (items[].sku)" disabled={!!product} {...form.getInputProps("sku")} />
            <TextInput label="Name" {...form.getInputProps("name")} />
          </SimpleGrid>
          <TextInput label="Category" description="commission plans can pay a rate per category" {...form.getInputProps("category")} />
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <NumberInput label="List price" min={0} decimalScale={2} {...form.getInputProps("price")} />
            <NumberInput label="Cost per unit" description="gives the margin" min={0} decimalScale={2} {...form.getInputProps("cost")} />
            <Select label="Currency" data={CURRENCIES} searchable allowDeselect={false} {...form.getInputProps("currency")} />
          </SimpleGrid>
          <Unplaced error={save.error} placed={form.errors} />
          <FormActions submit="Save product" busy={save.isPending} onCancel={onClose} />
        </Stack>
      </form>
    </Modal>
  );
}

const priced = (amount?: number | null, currency?: string | null) => (amount != null && currency ? money({ [currency]: amount }, true) : "—");

// The catalog a manager keeps: names, categories, prices and costs of SKUs.
export function ProductCatalog() {
  const products = useQuery({ queryKey: ["products"], queryFn: () => ok(reporting.GET("/v1/products")) });
  const [open, setOpen] = useState<{ product?: Product } | null>(null);
  const remove = useChange((sku: string) => ok(reporting.DELETE("/v1/products/{sku}", { params: { path: { sku } } })), [["products"], ["report"]], "Product removed from the catalog");
  return (
    <Card withBorder>
      <Group justify="space-between">
        <Title order={4}>Product catalog</Title>
        <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => setOpen({})}>
          Add a product
        </Button>
      </Group>
      {products.error && <Text c="red">{products.error.message}</Text>}
      {products.data?.length === 0 && (
        <Text c="dimmed" size="sm">
          No product yet: add one with its cost to see margins, and its category for commission rates.
        </Text>
      )}
      {!!products.data?.length && (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="Product catalog">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>SKU</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Category</Table.Th>
                <Table.Th>Price</Table.Th>
                <Table.Th>Cost</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {products.data.map((p) => (
                <Table.Tr key={p.sku} data-testid="catalog-row">
                  <Table.Td>{p.sku}</Table.Td>
                  <Table.Td>{p.name}</Table.Td>
                  <Table.Td>{p.category ?? "—"}</Table.Td>
                  <Table.Td>{priced(p.price, p.currency)}</Table.Td>
                  <Table.Td>{priced(p.cost, p.currency)}</Table.Td>
                  <Table.Td>
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      <ActionIcon variant="subtle" aria-label={`Edit ${p.sku}`} onClick={() => setOpen({ product: p })}>
                        <IconPencil size={16} />
                      </ActionIcon>
                      <ActionIcon variant="subtle" color="red" aria-label={`Remove ${p.sku}`} onClick={() => remove.mutate(p.sku)}>
                        <IconTrash size={16} />
                      </ActionIcon>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {open && <ProductEditor product={open.product} onClose={() => setOpen(null)} />}
    </Card>
  );
}
