import { Badge, Button, Card, Group, SimpleGrid, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { automation, ok } from "../client";
import { type Definition, STEPS, TRIGGERS } from "./definition";


// The ready-made workflows, each opened in the builder as a new draft to adjust before saving.
export function Gallery({ onUse }: { onUse: (d: Definition) => void }) {
  const { data, error } = useQuery({ queryKey: ["workflow-templates"], queryFn: () => ok(automation.GET("/v1/workflow-templates")), staleTime: 300_000 });
  if (error) return <Text c="red">{error.message}</Text>;
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} data-testid="template-gallery">
      {(data ?? []).map((t) => {
        const kinds = t.definition.steps.reduce<Record<string, number>>((n, s) => ({ ...n, [s.type]: (n[s.type] ?? 0) + 1 }), {});
        return (
          <Card key={t.name} withBorder data-testid="workflow-template">
            <Stack gap="xs" h="100%">
              <Text fw={600}>{t.definition.name}</Text>
              <Text size="sm" c="dimmed" style={{ flex: 1 }}>
                {t.definition.description}
              </Text>
              <Text size="sm">When: {TRIGGERS.find((k) => k.value === t.definition.trigger.type)?.label.toLowerCase()}</Text>
              <Group gap={4}>
                {Object.entries(kinds).map(([kind, n]) => (
                  <Badge key={kind} variant="light" color="gray">
                    {n} × {STEPS.find((s) => s.value === kind)?.label.toLowerCase() ?? kind}
                  </Badge>
                ))}
              </Group>
              <Group justify="flex-end">
                <Button size="xs" variant="light" onClick={() => onUse(t.definition as Definition)} aria-label={`Use ${t.definition.name}`}>
                  Use this template
                </Button>
              </Group>
            </Stack>
          </Card>
        );
      })}
    </SimpleGrid>
  );
}
