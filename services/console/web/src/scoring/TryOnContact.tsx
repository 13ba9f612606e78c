import { Alert, Badge, Button, Card, Group, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { asDrawn, ok, scoring } from "../client";
import type { Contact } from "../types";
import { when } from "../format";
import { contactByEmail, useSettled } from "../hooks";
import type { Definition } from "./definition";

// What a draft model, unsaved, gives one contact: score, grade and the ledger explaining it.
export function TryOnContact({ definition }: { definition: Definition }) {
  const [email, setEmail] = useState("");
  const [contact, setContact] = useState<Contact | null>(null);
  const [lookupError, setLookupError] = useState("");
  const model = useSettled(definition, 400);
  const trial = useQuery({
    queryKey: ["try", contact?.id, model],
    queryFn: () => ok(scoring.POST("/v1/scoring-models/try", { body: { definition: asDrawn(model), contact_id: contact?.id ?? "" } })),
    enabled: !!contact,
    retry: false,
  });
  const find = async () => {
    setLookupError("");
    setContact(null);
    try {
      setContact(await contactByEmail(email));
    } catch (e) {
      setLookupError(e instanceof Error ? e.message : String(e));
    }
  };
  const t = trial.data;
  return (
    <Card withBorder>
      <Stack gap="sm">
        <Title order={4}>Try on a contact</Title>
        <Text size="sm" c="dimmed">
          What this model — as it stands in the editor, unsaved — gives one contact from everything they did.
        </Text>
        <Group align="flex-end">
          <TextInput label="Contact email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={lookupError} w={320} />
          <Button variant="light" onClick={find} disabled={!email.trim()}>
            Try
          </Button>
        </Group>
        {trial.error && <Alert color="red">{trial.error.message}</Alert>}
        {t && contact && (
          <Stack gap="xs" data-testid="trial">
            <Group gap="sm">
              <Text fw={600} data-testid="trial-score">
                Score {t.score} · {t.band}
              </Text>
              <Badge variant="light">Grade {t.grade} · fit {t.fit}</Badge>
              {t.qualified && <Badge color="teal">Would qualify</Badge>}
              <Text size="sm" c="dimmed">
                from {t.interactions} interactions of {contact.email}
              </Text>
            </Group>
            <Table.ScrollContainer minWidth={480}>
              <Table aria-label="Why this score" striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>When</Table.Th>
                    <Table.Th>Rule</Table.Th>
                    <Table.Th>Points</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {t.ledger.map((e) => (
                    <Table.Tr key={`${e.event_id}:${e.rule_id}`} data-testid="trial-entry">
                      <Table.Td>{when(e.at)}</Table.Td>
                      <Table.Td>{e.rule_name}</Table.Td>
                      <Table.Td>
                        {e.points > 0 ? `+${e.points}` : e.points}
                        {e.capped ? ` (capped from ${e.requested})` : ""}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Stack>
        )}
      </Stack>
    </Card>
  );
}
