import { Badge, Group, Tooltip } from "@mantine/core";
import { bandColor } from "../format";

// A score and a grade are two different things: how engaged someone is (points from what they
// did, fading over time) and how well they fit (title, company size). Side by side as "148 D"
// they read as one bad number; here each says what it is.
const GRADE_COLOR: Record<string, string> = { A: "green", B: "teal", C: "yellow", D: "gray", E: "gray", F: "gray" };
const BAND: Record<string, string> = { hot: "Hot", warm: "Warm", cold: "Cold" };

export function ScoreBadge({ score, band, grade, long = false }: { score: number | null | undefined; band?: string | null; grade?: string | null; long?: boolean }) {
  if (score == null) return <>—</>;
  const points = Math.round(Number(score));
  return (
    <Group gap={4} wrap="nowrap" data-testid="score-badge">
      <Tooltip label="Engagement: points from visits, forms, emails and calls; older activity counts less">
        <Badge color={bandColor(band)} variant="light">
          {long ? `Engagement ${points}` : points}
          {band && BAND[band] ? ` · ${BAND[band]}` : ""}
        </Badge>
      </Tooltip>
      {grade && (
        <Tooltip label="Fit: how well they match your ideal customer (title, company size), A best to F">
          <Badge color={GRADE_COLOR[grade] ?? "gray"} variant="outline">
            Fit {grade}
          </Badge>
        </Tooltip>
      )}
    </Group>
  );
}
