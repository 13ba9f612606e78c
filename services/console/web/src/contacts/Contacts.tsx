import { IconSearch } from "@tabler/icons-react";
import { Button, Card, Group, MultiSelect, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { IconArrowLeft, IconArrowRight, IconX } from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { fieldErrors } from "../api";
import { contacts, ok } from "../client";
import { ScoreBadge } from "./ScoreBadge";
import { ago, contactName, stageLabel, stageOptions } from "../format";
import { repName, useReps, useSettled } from "../hooks";

const FILTERS = ["q", "email", "company", "stage", "owner_id", "grade", "score_band", "tag", "source", "sort"] as const;
const SORTS = [
  { value: "-created_at", label: "Newest first" },
  { value: "-score", label: "Most engaged first" },
  { value: "-last_activity_at", label: "Recently active first" },
  { value: "last_name", label: "Last name A–Z" },
  { value: "company", label: "Company A–Z" },
];
const PAGE = 50;

// Filters live in the address bar: a filtered list can be bookmarked and shared.
export function ContactsPage() {
  const [params, setParams] = useSearchParams();
  const [cursors, setCursors] = useState<string[]>([]);
  const { data: reps } = useReps();
  const value = (k: string) => params.get(k) ?? "";
  const set = (k: string, v: string | null) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
    setCursors([]);
  };
  const filters = useSettled(Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? undefined])), 300);
  const cursor = cursors[cursors.length - 1];
  const page = useQuery({
    queryKey: ["contacts", filters, cursor],
    queryFn: () => ok(contacts.GET("/v1/contacts", { params: { query: { ...filters, limit: PAGE, cursor } } })),
    placeholderData: keepPreviousData,
  });
  const filterErrors = fieldErrors(page.error);
  const err = (k: string) => filterErrors[k];

  return (
    <Stack>
      <Title order={2}>Contacts</Title>
      <Card withBorder>
        <Group align="flex-end" wrap="wrap">
          <TextInput
            label="Search"
            placeholder="Name, company or email"
            leftSection={<IconSearch size={16} />}
            value={value("q")}
            onChange={(e) => set("q", e.currentTarget.value)}
            error={err("q")}
            w={260}
            data-autofocus
          />
          <TextInput label="Company" value={value("company")} onChange={(e) => set("company", e.currentTarget.value)} error={err("company")} />
          <MultiSelect
            label="Stage"
            data={stageOptions}
            value={value("stage") ? value("stage").split(",") : []}
            onChange={(v) => set("stage", v.join(","))}
            error={err("stage")}
            w={240}
            clearable
          />
          <Select
            label="Owner"
            data={(reps ?? []).map((r) => ({ value: r.id, label: (r.name as string) || r.id }))}
            value={value("owner_id") || null}
            onChange={(v) => set("owner_id", v)}
            clearable
            error={err("owner_id")}
          />
          <Select label="Sort" data={SORTS} value={value("sort") || null} onChange={(v) => set("sort", v)} placeholder="As added" clearable w={200} error={err("sort")} />
          <Select label="Fit grade" data={["A", "B", "C", "D", "E", "F"]} value={value("grade") || null} onChange={(v) => set("grade", v)} clearable w={100} error={err("grade")} />
          <Select
            label="Engagement"
            data={[
              { value: "hot", label: "Hot" },
              { value: "warm", label: "Warm" },
              { value: "cold", label: "Cold" },
            ]}
            value={value("score_band") || null}
            onChange={(v) => set("score_band", v)}
            clearable
            w={130}
            error={err("score_band")}
          />
          <TextInput label="Tag" value={value("tag")} onChange={(e) => set("tag", e.currentTarget.value)} w={140} error={err("tag")} />
          <Button
            variant="subtle"
            leftSection={<IconX size={14} />}
            onClick={() => {
              setParams(new URLSearchParams(), { replace: true });
              setCursors([]);
            }}
          >
            Clear
          </Button>
        </Group>
      </Card>
      {page.error && !Object.keys(filterErrors).length && <Text c="red">{page.error.message}</Text>}
      <Table.ScrollContainer minWidth={700}>
        <Table highlightOnHover striped aria-label="Contacts">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Company</Table.Th>
              <Table.Th>Stage</Table.Th>
              <Table.Th>Owner</Table.Th>
              <Table.Th>Engagement · fit</Table.Th>
              <Table.Th>Updated</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(page.data?.items ?? []).map((c) => (
              <Table.Tr key={c.id} data-testid="contact-row">
                <Table.Td>
                  <Link to={`/contacts/${c.id}`}>{contactName(c)}</Link>
                  <Text size="xs" c="dimmed">
                    {c.email}
                  </Text>
                </Table.Td>
                <Table.Td>{c.company ?? "—"}</Table.Td>
                <Table.Td>{stageLabel(c.lifecycle_stage)}</Table.Td>
                <Table.Td>{repName(reps, c.owner_id)}</Table.Td>
                <Table.Td>
                  <ScoreBadge score={c.score} band={c.score_band} grade={c.grade} />
                </Table.Td>
                <Table.Td>{ago(c.updated_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {page.data && !page.data.items.length && <Text c="dimmed">No contact matches these filters.</Text>}
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Page {cursors.length + 1}
          {page.isFetching ? " · loading…" : ""}
        </Text>
        <Group>
          <Button variant="default" leftSection={<IconArrowLeft size={14} />} disabled={!cursors.length} onClick={() => setCursors(cursors.slice(0, -1))}>
            Previous
          </Button>
          <Button
            variant="default"
            rightSection={<IconArrowRight size={14} />}
            disabled={!page.data?.next_cursor}
            onClick={() => page.data?.next_cursor && setCursors([...cursors, page.data.next_cursor])}
          >
            Next
          </Button>
        </Group>
      </Group>
    </Stack>
  );
}
