import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { UseFormReturnType } from "@mantine/form";
import { useMemo } from "react";
import { fieldErrors } from "./api";
import type { Rep } from "./types";
import { automation, contacts, ok } from "./client";
import type { Contact } from "./types";

// `value` once it has stopped changing for `ms`, compared by its JSON text: an object built
// anew on every render (a builder's draft) would otherwise restart the wait for ever.
export function useSettled<T>(value: T, ms: number): T {
  const [text] = useDebouncedValue(JSON.stringify(value), ms);
  return useMemo(() => JSON.parse(text) as T, [text]);
}

export function useReps() {
  return useQuery({ queryKey: ["reps"], queryFn: () => ok(automation.GET("/v1/reps")), staleTime: 60_000 });
}

export function useSegments() {
  return useQuery({ queryKey: ["segments"], queryFn: () => ok(contacts.GET("/v1/segments")), staleTime: 60_000 });
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

// A form's submit handler: its values validated in the browser, then sent through `change`;
// the API's refusal shows at the fields it names (the one place errors meet a form).
export function submitTo<V, T>(
  form: UseFormReturnType<V>,
  change: { mutate: (v: V, o: { onSuccess: (t: T) => void; onError: (e: Error) => void }) => void },
  then?: (t: T) => void,
) {
  return form.onSubmit((values) =>
    change.mutate(values, { onSuccess: (t) => then?.(t), onError: (e) => form.setErrors(fieldErrors(e)) }),
  );
}

// The contact with this email, or an error that says there is none.
export async function contactByEmail(email: string): Promise<Contact> {
  const found = await ok(contacts.GET("/v1/contacts", { params: { query: { email: email.trim(), limit: 1 } } }));
  if (!found.items.length) throw new Error(`No contact with the email ${email.trim()}`);
  return found.items[0];
}
