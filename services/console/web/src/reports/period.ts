// The periods a manager picks reports by: the last 30 days, or a calendar month (UTC, as the
// reporting service counts days). Goals are set per month.
import dayjs from "dayjs";
import utc from "dayjs/plugin/utc";

dayjs.extend(utc);

export interface Period {
  value: string; // "30d" or "YYYY-MM"
  label: string;
  start?: string; // YYYY-MM-DD; none: the service's default (30 days back)
  end?: string;
  month?: string; // the month a goal set now is for
}

export const LAST_30_DAYS: Period = { value: "30d", label: "Last 30 days" };

export function months(count = 12, now = dayjs.utc()): Period[] {
  return Array.from({ length: count }, (_, i) => {
    const first = now.startOf("month").subtract(i, "month");
    const month = first.format("YYYY-MM");
    return {
      value: month,
      label: i === 0 ? `This month (${first.format("MMMM YYYY")})` : first.format("MMMM YYYY"),
      start: first.format("YYYY-MM-DD"),
      end: first.endOf("month").format("YYYY-MM-DD"),
      month,
    };
  });
}

export function periods(): Period[] {
  return [LAST_30_DAYS, ...months()];
}
