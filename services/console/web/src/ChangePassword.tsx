import { Button, Group, Modal, PasswordInput, Stack, Text } from "@mantine/core";
import { useState } from "react";
import { fieldErrors, request } from "./api";
import { useChange } from "./hooks";

// Anyone changes their own password; their sessions elsewhere end, this one stays.
export function ChangePassword({ onClose }: { onClose: () => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const change = useChange(
    () => request("POST", "/auth/password", { current_password: current, new_password: next }),
    [],
    "Password changed; you were signed out everywhere else",
  );
  const fields = fieldErrors(change.error);
  const mismatch = again.length > 0 && again !== next;
  return (
    <Modal opened onClose={onClose} title="Change your password">
      <Stack>
        <PasswordInput label="Current password" value={current} onChange={(e) => setCurrent(e.currentTarget.value)} error={fields.current_password} required />
        <PasswordInput
          label="New password"
          description="At least 10 characters, at least 5 of them different"
          value={next}
          onChange={(e) => setNext(e.currentTarget.value)}
          error={fields.new_password}
          required
        />
        <PasswordInput label="New password again" value={again} onChange={(e) => setAgain(e.currentTarget.value)} error={mismatch ? "Not the same as above" : undefined} required />
        {change.error && !Object.keys(fields).length && <Text c="red">{change.error.message}</Text>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button loading={change.isPending} disabled={!current || !next || next !== again} onClick={() => change.mutate(undefined, { onSuccess: onClose })}>
            Change password
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
