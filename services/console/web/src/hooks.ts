import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { svc } from "./api";
import type { Rep, Segment } from "./types";

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
