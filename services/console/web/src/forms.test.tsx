import { Button, MantineProvider, TextInput } from "@mantine/core";
import { isNotEmpty, useForm } from "@mantine/form";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "./api";
import { Unplaced } from "./components/FormActions";
import { submitTo, useChange } from "./hooks";

// A form as the screens build theirs: checked in the browser first, then the API's refusal
// shown at the field it names.
function NameForm({ send }: { send: (v: { name: string }) => Promise<unknown> }) {
  const form = useForm({ initialValues: { name: "" }, validate: { name: isNotEmpty("A name") } });
  const save = useChange(send, []);
  return (
    <form onSubmit={submitTo(form, save)}>
      <TextInput label="Name" {...form.getInputProps("name")} />
      <Button type="submit">Save</Button>
    </form>
  );
}

function renderForm(send: (v: { name: string }) => Promise<unknown>) {
  render(
    <MantineProvider>
      <QueryClientProvider client={new QueryClient()}>
        <NameForm send={send} />
      </QueryClientProvider>
    </MantineProvider>,
  );
}

describe("a form sent through submitTo", () => {
  it("is not sent while the browser's own check fails", async () => {
    const send = vi.fn(async () => ({}));
    renderForm(send);
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("A name")).toBeTruthy();
    expect(send).not.toHaveBeenCalled();
  });

  it("shows the API's refusal at the field it names", async () => {
    const send = vi.fn(async () => {
      throw new ApiError(422, "name: taken", { name: "Someone has that name" });
    });
    renderForm(send);
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Ana" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(send).toHaveBeenCalledWith({ name: "Ana" }, expect.anything()));
    const message = await screen.findByText("Someone has that name");
    expect(screen.getByLabelText("Name").getAttribute("aria-invalid")).toBe("true");
    expect(message.id).toBe(screen.getByLabelText("Name").getAttribute("aria-describedby")?.split(" ").find((id) => id.endsWith("error")));
  });
});

describe("what a form's fields cannot show", () => {
  const shown = (error: Error | null, placed: Record<string, unknown>) => {
    render(
      <MantineProvider>
        <Unplaced error={error} placed={placed} />
      </MantineProvider>,
    );
    return screen.queryByRole("alert")?.textContent ?? null;
  };

  it("is the refusal when it names no field, the form's own message when there is one, else nothing", () => {
    expect(shown(new ApiError(409, "Someone changed it first"), {})).toBe("Someone changed it first");
    cleanup();
    expect(shown(new ApiError(422, "bad", { _: "a plan pays someone" }), { _: "a plan pays someone" })).toBe("a plan pays someone");
    cleanup();
    expect(shown(new ApiError(422, "bad", { name: "taken" }), { name: "taken" })).toBeNull();
    cleanup();
    expect(shown(null, {})).toBeNull();
  });
});
