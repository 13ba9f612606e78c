import { Select, Table, Text } from "@mantine/core";

export const SKIP = "skip";

export interface Preview {
  header: string[];
  rows: string[][]; // the first few data rows
}

const LABELS: Record<string, string> = {
  email: "Email",
  emails: "Other emails",
  first_name: "First name",
  last_name: "Last name",
  company: "Company",
  company_size: "Company size",
  title: "Job title",
  phone: "Phone",
  phones: "Other phones",
  tags: "Tags",
  owner_id: "Owner (rep id)",
  lifecycle_stage: "Lifecycle stage",
  source: "Lead source",
  contract_end_date: "Contract end date",
  unsubscribed: "Unsubscribed",
};

const label = (field: string) => LABELS[field] ?? field.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());

// Where each column of the file goes: a contact field, a custom field of the column's name,
// or nowhere. The service's guess comes first; the person corrects it before importing.
export function ColumnMapping({
  preview,
  fields,
  guessed,
  mapping,
  onChange,
}: {
  preview: Preview;
  fields: string[];
  guessed: Record<string, string>;
  mapping: Record<string, string>;
  onChange: (mapping: Record<string, string>) => void;
}) {
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table aria-label="Columns" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Column in the file</Table.Th>
            <Table.Th>First values</Table.Th>
            <Table.Th>Import as</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {preview.header.map((column, i) => {
            const custom = guessed[column]?.startsWith("custom.") ? guessed[column] : `custom.${column.toLowerCase().replace(/\W+/g, "_").replace(/^_|_$/g, "") || "column"}`;
            const data = [
              { value: SKIP, label: "Leave out" },
              { value: custom, label: `Custom field “${custom.slice(7)}”` },
              ...fields.map((f) => ({ value: f, label: label(f) })),
            ];
            return (
              <Table.Tr key={column} data-testid="column-row">
                <Table.Td fw={600}>{column}</Table.Td>
                <Table.Td>
                  <Text size="sm" c="dimmed" lineClamp={2}>
                    {preview.rows
                      .map((r) => r[i])
                      .filter(Boolean)
                      .slice(0, 3)
                      .join(" · ") || "—"}
                  </Text>
                </Table.Td>
                <Table.Td miw={220}>
                  <Select
                    aria-label={`Import ${column} as`}
                    data={data}
                    value={mapping[column] ?? guessed[column] ?? custom}
                    onChange={(v) => v && onChange({ ...mapping, [column]: v })}
                    allowDeselect={false}
                    searchable
                  />
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
