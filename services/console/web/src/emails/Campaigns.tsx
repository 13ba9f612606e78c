import { Alert, Badge, Button, Card, Group, Modal, NumberInput, Progress, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { DateTimePicker } from "@mantine/dates";
import { IconMailFast, IconPlus } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import dayjs from "dayjs";
import { isNotEmpty, useForm } from "@mantine/form";
import { useState } from "react";
import { automation, ok } from "../client";
import { ago, when } from "../format";
import { submitTo, useChange, useSegments } from "../hooks";
import type { Campaign } from "../types";
import { FormActions, Unplaced } from "../components/FormActions";

const STATE_COLORS: Record<string, string> = {
  draft: "gray",
  scheduled: "blue",
  sending: "indigo",
  paused: "yellow",
  sent: "teal",
  cancelled: "orange",
  failed: "red",
};
const pct = (x: number | null | undefined) => (x == null ? "—" : `${Math.round(x * 1000) / 10}%`);
const live = (c: Campaign) => c.state === "sending" || c.state === "scheduled" || c.stopping != null;

// A marketer's email campaigns: a template to a segment, now or at a time; progress and results in people.
export function CampaignsPage() {
  const [creating, setCreating] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const campaigns = useQuery({
    queryKey: ["campaigns"],
    queryFn: () => ok(automation.GET("/v1/campaigns")),
    refetchInterval: (q) => ((q.state.data ?? []).some(live) ? 2000 : 15_000),
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Email campaigns</Title>
        <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
          New campaign
        </Button>
      </Group>
      <Text c="dimmed" size="sm">
        One email template to everyone in a segment, now or at a time you choose. Each person gets it once; people without email consent,
        unsubscribed or on the suppression list are skipped and told apart in the results.
      </Text>
      {campaigns.error && <Alert color="red">{campaigns.error.message}</Alert>}
      {campaigns.data?.length === 0 && <Text>No campaign yet: make one with “New campaign”.</Text>}
      <Table.ScrollContainer minWidth={560}>
        <Table highlightOnHover aria-label="Campaigns">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Campaign</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(campaigns.data ?? []).map((c) => (
              <Table.Tr key={c.id} data-testid="campaign-row" onClick={() => setOpen(c.id)} style={{ cursor: "pointer" }}>
                <Table.Td>{c.name}</Table.Td>
                <Table.Td>
                  <Badge color={STATE_COLORS[c.state]}>{c.state}</Badge>
                  {c.state === "scheduled" && c.send_at && (
                    <Text span size="xs" c="dimmed" ml={6}>
                      {when(c.send_at)}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{ago(c.created_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {creating && <NewCampaign onClose={() => setCreating(false)} onMade={(id) => setOpen(id)} />}
      {open && <CampaignDetail id={open} onClose={() => setOpen(null)} />}
    </Stack>
  );
}

function NewCampaign({ onClose, onMade }: { onClose: () => void; onMade: (id: string) => void }) {
  const templates = useQuery({ queryKey: ["email-templates"], queryFn: () => ok(automation.GET("/v1/email-templates")) });
  const { data: segments } = useSegments();
  const form = useForm({
    initialValues: { name: "", template_id: null as string | null, segment_id: null as string | null, rate_per_minute: 600 as number | string },
    validate: { name: isNotEmpty("A name"), template_id: isNotEmpty("Which email"), segment_id: isNotEmpty("Who gets it") },
  });
  const create = useChange(
    ({ template_id, segment_id, rate_per_minute, name }: typeof form.values) =>
      ok(automation.POST("/v1/campaigns", { body: { name, template_id: template_id ?? "", segment_id: segment_id ?? "", rate_per_minute: Number(rate_per_minute) } })),
    [["campaigns"]],
    "Campaign saved as a draft",
  );
  const save = submitTo(form, create, (made) => {
    onClose();
    onMade(made.id);
  });
  return (
    <Modal opened onClose={onClose} title="New campaign">
      <form onSubmit={save}>
      <Stack>
        <TextInput label="Name" placeholder="Spring offer" required {...form.getInputProps("name")} />
        <Select
          label="Email"
          description="An email template (its latest version when sending starts)"
          placeholder={templates.data?.length === 0 ? "No email template yet" : "Choose a template"}
          data={(templates.data ?? []).map((t) => ({ value: t.id, label: t.name }))}
          {...form.getInputProps("template_id")}
          searchable
          required
        />
        <Select
          label="To"
          description="Everyone in this segment when sending starts"
          placeholder="Choose a segment"
          data={(segments ?? []).map((s) => ({ value: s.id, label: `${s.name} (${s.members.toLocaleString()} people)` }))}
          {...form.getInputProps("segment_id")}
          searchable
          required
        />
        <NumberInput
          label="Pace"
          description="Emails a minute at most (receivers slow down senders who flood them)"
          min={1}
          max={60000}
          {...form.getInputProps("rate_per_minute")}
        />
        <Unplaced error={create.error} placed={form.errors} />
        <FormActions submit="Save draft" busy={create.isPending} onCancel={onClose} />
      </Stack>
      </form>
    </Modal>
  );
}

function CampaignDetail({ id, onClose }: { id: string; onClose: () => void }) {
  const [at, setAt] = useState<string | null>(null);
  const path = { params: { path: { campaign_id: id } } };
  const campaign = useQuery({
    queryKey: ["campaign", id],
    queryFn: () => ok(automation.GET("/v1/campaigns/{campaign_id}", path)),
    refetchInterval: (q) => (q.state.data && live(q.state.data) ? 1500 : false),
  });
  // Read again whenever the campaign's numbers move (and once more when it ends).
  const moved = [campaign.data?.state, campaign.data?.results?.sent, campaign.data?.results?.skipped];
  const recipients = useQuery({
    queryKey: ["campaign", id, "recipients", ...moved],
    queryFn: () => ok(automation.GET("/v1/campaigns/{campaign_id}/recipients", { params: { path: { campaign_id: id }, query: { limit: 50 } } })),
    placeholderData: (previous) => previous,
  });
  const refresh = [["campaigns"], ["campaign", id]];
  const act = useChange((what: "pause" | "resume" | "cancel") => ok(automation.POST(`/v1/campaigns/{campaign_id}/${what}`, path)), refresh);
  const send = useChange(() => ok(automation.POST("/v1/campaigns/{campaign_id}/send", { ...path, body: at ? { at: dayjs(at).toISOString() } : {} })), refresh, at ? "Scheduled" : "Sending");
  const remove = useChange(() => ok(automation.DELETE("/v1/campaigns/{campaign_id}", path)), [["campaigns"]], "Draft deleted");
  const c = campaign.data;
  const r = c?.results;
  const error = act.error ?? send.error ?? remove.error;
  return (
    <Modal opened onClose={onClose} title={c ? c.name : "Campaign"} size="xl">
      {!c ? (
        <Text>Loading…</Text>
      ) : (
        <Stack>
          <Group gap="xs">
            <Badge color={STATE_COLORS[c.state]} size="lg" data-testid="campaign-state">
              {c.stopping ? `${c.state} — ${c.stopping === "pause" ? "pausing" : "cancelling"}` : c.state}
            </Badge>
            {c.state === "scheduled" && c.send_at && <Text size="sm">starts {when(c.send_at)}</Text>}
            {c.problem && <Text c="red">{c.problem}</Text>}
          </Group>
          {r && (
            <>
              <Progress value={(r.progress ?? 0) * 100} size="xl" aria-label="Progress" />
              <Text size="sm" c="dimmed">
                {r.sent.toLocaleString()} sent of {r.audience.toLocaleString()} · {r.skipped.toLocaleString()} skipped · {r.failed} failed
              </Text>
              <SimpleGrid cols={{ base: 2, sm: 4 }}>
                <Figure label="Delivered" value={r.delivered} />
                <Figure label="Opened" value={r.opened} rate={r.open_rate} />
                <Figure label="Clicked" value={r.clicked} rate={r.click_rate} />
                <Figure label="Bounced" value={r.bounced} rate={r.bounce_rate} />
                <Figure label="Unsubscribed" value={r.unsubscribed} />
                <Figure label="Complaints" value={r.complained} />
              </SimpleGrid>
            </>
          )}
          {(c.state === "draft" || c.state === "scheduled") && (
            <Card withBorder>
              <Group align="flex-end">
                <DateTimePicker label="Send at (optional)" placeholder="Now" value={at} onChange={setAt} clearable minDate={dayjs().format("YYYY-MM-DD")} />
                <Button leftSection={<IconMailFast size={16} />} loading={send.isPending} onClick={() => send.mutate(undefined)}>
                  {at ? "Schedule" : "Send now"}
                </Button>
                {c.state === "draft" && (
                  <Button variant="subtle" color="red" loading={remove.isPending} onClick={() => remove.mutate(undefined, { onSuccess: onClose })}>
                    Delete draft
                  </Button>
                )}
              </Group>
            </Card>
          )}
          <Group>
            {c.state === "sending" && !c.stopping && (
              <Button variant="default" loading={act.isPending} onClick={() => act.mutate("pause")}>
                Pause
              </Button>
            )}
            {c.state === "paused" && (
              <Button loading={act.isPending} onClick={() => act.mutate("resume")}>
                Resume
              </Button>
            )}
            {["scheduled", "sending", "paused"].includes(c.state) && c.stopping !== "cancel" && (
              <Button variant="subtle" color="red" loading={act.isPending} onClick={() => act.mutate("cancel")}>
                Cancel campaign
              </Button>
            )}
          </Group>
          {error && <Text c="red">{error.message}</Text>}
          {(recipients.data?.items.length ?? 0) > 0 && (
            <Table.ScrollContainer minWidth={520}>
              <Table aria-label="Recipients" striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Recipient</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Opened</Table.Th>
                    <Table.Th>Clicked</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {recipients.data!.items.map((p) => (
                    <Table.Tr key={p.contact_id} data-testid="recipient">
                      <Table.Td>{p.email ?? p.contact_id}</Table.Td>
                      <Table.Td>{p.status === "sent" ? `sent ${ago(p.sent_at)}` : p.status === "skipped" ? `skipped: ${p.reason}` : p.status}</Table.Td>
                      <Table.Td>{p.opened_at ? ago(p.opened_at) : "—"}</Table.Td>
                      <Table.Td>{p.clicked_at ? ago(p.clicked_at) : p.bounced_at ? "bounced" : "—"}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Stack>
      )}
    </Modal>
  );
}

function Figure({ label, value, rate }: { label: string; value: number; rate?: number | null }) {
  return (
    <Card withBorder padding="xs" data-testid={`figure-${label.toLowerCase()}`}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="lg">
        {value.toLocaleString()}
        {rate !== undefined && (
          <Text span size="sm" c="dimmed" ml={6}>
            {pct(rate)}
          </Text>
        )}
      </Text>
    </Card>
  );
}
