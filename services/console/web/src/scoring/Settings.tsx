import { ActionIcon, Button, Checkbox, Group, NumberInput, Paper, Select, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { IconPlus, IconTrash } from "@tabler/icons-react";
import { Problems } from "../workflows/Problems";
import { type Decay, type Definition, GRADES } from "./definition";

const DECAYS = [
  { value: "none", label: "Points never fade" },
  { value: "half_life", label: "Points halve every few days" },
  { value: "inactivity", label: "The score shrinks after a quiet spell" },
];

function Section({ title, hint, errors, children }: { title: string; hint: string; errors?: string[]; children: React.ReactNode }) {
  return (
    <Paper withBorder p="sm" data-testid={`section-${title.toLowerCase().replaceAll(" ", "-")}`}>
      <Stack gap="xs">
        <Text fw={600}>{title}</Text>
        <Text size="sm" c="dimmed">
          {hint}
        </Text>
        {children}
        <Problems messages={errors ?? []} />
      </Stack>
    </Paper>
  );
}

// Grades, decay, the qualifying threshold and the score bands of a model.
export function Settings({ d, errors, readOnly, onChange }: { d: Definition; errors: Record<string, string[]>; readOnly: boolean; onChange: (patch: Partial<Definition>) => void }) {
  const decay = (patch: Partial<Decay>) => onChange({ decay: { ...d.decay, ...patch } });
  const bands = Object.entries(d.bands);
  const setBands = (list: [string, number][]) => onChange({ bands: Object.fromEntries(list) });
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      <Section title="Grades" hint="Fit points needed for each grade; below E is F." errors={errors.grade_bands}>
        <SimpleGrid cols={5} spacing="xs">
          {GRADES.map((g) => (
            <NumberInput key={g} label={g} aria-label={`Fit points for grade ${g}`} value={d.grade_bands[g] ?? 0} onChange={(v) => onChange({ grade_bands: { ...d.grade_bands, [g]: Number(v) || 0 } })} />
          ))}
        </SimpleGrid>
      </Section>
      <Section title="Decay" hint="Old interest counts less, so a score says what someone does now." errors={errors.decay}>
        <Select aria-label="Decay" data={DECAYS} value={d.decay.type} onChange={(v) => v && decay({ type: v as Decay["type"], days: v === "none" ? null : (d.decay.days ?? 30), factor: v === "inactivity" ? (d.decay.factor ?? 0.5) : null })} allowDeselect={false} />
        {d.decay.type !== "none" && (
          <Group grow>
            <NumberInput label={d.decay.type === "half_life" ? "Half-life in days" : "Quiet days"} min={1} value={d.decay.days ?? 30} onChange={(v) => decay({ days: Number(v) || 0 })} />
            {d.decay.type === "inactivity" && <NumberInput label="Multiplied by" min={0.01} max={0.99} step={0.1} decimalScale={2} value={d.decay.factor ?? 0.5} onChange={(v) => decay({ factor: Number(v) || 0 })} />}
          </Group>
        )}
      </Section>
      <Section title="Qualifying" hint="A lead qualifies (a workflow can start) at this score with this grade or better." errors={errors.threshold}>
        <Checkbox label="Leads qualify by this model" checked={!!d.threshold} onChange={(e) => onChange({ threshold: e.currentTarget.checked ? { score: 50, min_grade: "C" } : null })} />
        {d.threshold && (
          <Group grow>
            <NumberInput label="Score at least" value={d.threshold.score} onChange={(v) => onChange({ threshold: { ...d.threshold!, score: Number(v) || 0 } })} />
            <Select label="Grade at least" data={[...GRADES, "F"]} value={d.threshold.min_grade} onChange={(v) => v && onChange({ threshold: { ...d.threshold!, min_grade: v } })} allowDeselect={false} />
          </Group>
        )}
      </Section>
      <Section title="Bands" hint="Names for score ranges in lists and reports, from the lowest score each starts at." errors={errors.bands}>
        {bands.map(([name, min], i) => (
          <Group key={i} gap="xs" wrap="nowrap">
            <TextInput aria-label={`Band ${i + 1} name`} value={name} onChange={(e) => setBands(bands.map((b, j) => (j === i ? [e.currentTarget.value, b[1]] : b)))} />
            <NumberInput aria-label={`Band ${i + 1} from`} value={min <= -1e8 ? "" : min} placeholder="any score" onChange={(v) => setBands(bands.map((b, j) => (j === i ? [b[0], v === "" ? -1e9 : Number(v)] : b)))} />
            {!readOnly && (
              <ActionIcon variant="subtle" color="gray" aria-label={`Remove band ${i + 1}`} onClick={() => setBands(bands.filter((_, j) => j !== i))}>
                <IconTrash size={16} />
              </ActionIcon>
            )}
          </Group>
        ))}
        {!readOnly && (
          <Group>
            <Button size="compact-sm" variant="subtle" leftSection={<IconPlus size={14} />} onClick={() => setBands([...bands, [`band-${bands.length + 1}`, 0]])}>
              Add a band
            </Button>
          </Group>
        )}
      </Section>
    </SimpleGrid>
  );
}
