import { Modal, PasswordInput, Stack } from "@mantine/core";
import { hasLength, isNotEmpty, matchesField, useForm } from "@mantine/form";
import { consoleApi, ok } from "./client";
import { submitTo, useChange } from "./hooks";
import { FormActions, Unplaced } from "./components/FormActions";

// Anyone changes their own password; their sessions elsewhere end, this one stays.
export function ChangePassword({ onClose }: { onClose: () => void }) {
  const form = useForm({
    initialValues: { current_password: "", new_password: "", again: "" },
    validate: {
      current_password: isNotEmpty("Your password now"),
      new_password: hasLength({ min: 10 }, "At least 10 characters"),
      again: matchesField("new_password", "Not the same as above"),
    },
    validateInputOnChange: ["again"],
  });
  const change = useChange(
    ({ current_password, new_password }: typeof form.values) => ok(consoleApi.POST("/auth/password", { body: { current_password, new_password } })),
    [],
    "Password changed; you were signed out everywhere else",
  );
  const submit = submitTo(form, change, onClose);
  return (
    <Modal opened onClose={onClose} title="Change your password">
      <form onSubmit={submit}>
      <Stack>
        <PasswordInput label="Current password" required {...form.getInputProps("current_password")} />
        <PasswordInput
          label="New password"
          description="At least 10 characters, at least 5 of them different"
          required
          {...form.getInputProps("new_password")}
        />
        <PasswordInput label="New password again" required {...form.getInputProps("again")} />
        <Unplaced error={change.error} placed={form.errors} />
        <FormActions submit="Change password" busy={change.isPending} onCancel={onClose} />
      </Stack>
      </form>
    </Modal>
  );
}
