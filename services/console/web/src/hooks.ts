import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import { svc } from "./api";
import type { Rep, Segment } from "./types";

// `value` once it has stopped changing for `ms`, compared by its JSON text: an object built
// anew on every render (a builder's draft) would otherwise restart the wait for ever.
export function useSettled<T>(value: T, ms: number): T {
  const [text] = useDebouncedValue(JSON.stringify(value), ms);
  return useMemo(() => JSON.parse(text) as T, [text]);
}

export function useReps() {
  return useQuery({ queryKey: ["reps"], queryFn: () => svc.get<Rep[]>("automation", "/reps"), staleTime: 60_000 });
}

export function useSegments() {
  return useQuery({ queryKey: ["segments"], queryFn: () => svc.get<Segment[]>("contacts", "/segments"), staleTime: 60_000 });
}

export function repName(reps: Rep[] | undefined, id: string | null | undefined): string {
  if (!id) return "Nobody";
  const rep = reps?.find((r) => r.id === id);
  return (rep?.name as string | undefined) || id;
}

// A change through a service: refreshes what it touched, and says so or why not.
export function useChange<T, V>(run: (v: V) => Promise<T>, refresh: unknown[][], done?: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: () => {
      refresh.forEach((key) => client.invalidateQueries({ queryKey: key }));
      if (done) notifications.show({ message: done, color: "green" });
    },
  });
}
