import { AppShell, Box, Burger, Center, Group, Loader, NavLink, Stack, Text, Title, Button, Badge } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import {
  IconAddressBook,
  IconCalendarCheck,
  IconChartBar,
  IconFileImport,
  IconFilter,
  IconGauge,
  IconHistory,
  IconRoute,
  IconKey,
  IconLogout,
  IconMail,
  IconMailFast,
  IconMailOff,
  IconUsers,
  IconUsersGroup,
} from "@tabler/icons-react";
import type { ReactNode } from "react";
import { Link, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { useState } from "react";
import { useAuth } from "./auth";
import { ChangePassword } from "./ChangePassword";
import { CampaignsPage } from "./emails/Campaigns";
import { ApiKeysPage } from "./admin/ApiKeys";
import { AuditPage } from "./admin/Audit";
import { ContactPage } from "./contacts/Contact";
import { DeadLettersPage } from "./admin/DeadLetters";
import { ContactsPage } from "./contacts/Contacts";
import { EmailsPage } from "./emails/Emails";
import { ImportPage } from "./imports/Import";
import { MyDayPage } from "./tasks/MyDay";
import { ReportsPage } from "./reports/Reports";
import { ScoringPage } from "./scoring/Scoring";
import { SegmentsPage } from "./segments/Segments";
import { WorkflowsPage } from "./workflows/Workflows";
import { RepsPage } from "./team/Reps";
import { SignInPage } from "./SignIn";
import { UsersPage } from "./admin/Users";

interface Place {
  to: string;
  label: string;
  icon: ReactNode;
  scope: string;
  everyones?: "contacts" | "tasks";
}

const PLACES: Place[] = [
  { to: "/day", label: "My day", icon: <IconCalendarCheck size={18} />, scope: "tasks:read" },
  { to: "/contacts", label: "Contacts", icon: <IconAddressBook size={18} />, scope: "contacts:read" },
  { to: "/reports", label: "Reports", icon: <IconChartBar size={18} />, scope: "reports:read" },
  // An import changes whichever contacts its emails match: only for who changes everyone's.
  { to: "/import", label: "Import contacts", icon: <IconFileImport size={18} />, scope: "contacts:write", everyones: "contacts" },
  { to: "/segments", label: "Segments", icon: <IconFilter size={18} />, scope: "segments:read" },
  { to: "/workflows", label: "Workflows", icon: <IconRoute size={18} />, scope: "workflows:read" },
  { to: "/scoring", label: "Scoring", icon: <IconGauge size={18} />, scope: "scoring-models:read" },
  { to: "/emails", label: "Emails", icon: <IconMail size={18} />, scope: "emails:write" },
  { to: "/campaigns", label: "Campaigns", icon: <IconMailFast size={18} />, scope: "emails:write" },
  { to: "/reps", label: "Reps", icon: <IconUsersGroup size={18} />, scope: "reps:write" },
  { to: "/users", label: "Users", icon: <IconUsers size={18} />, scope: "users:write" },
  { to: "/api-keys", label: "API keys", icon: <IconKey size={18} />, scope: "api-keys:write" },
  { to: "/audit", label: "Audit trail", icon: <IconHistory size={18} />, scope: "audit:read" },
  { to: "/dead-letters", label: "Dead letters", icon: <IconMailOff size={18} />, scope: "dead-letters:read" },
];

const ROLE_NAMES: Record<string, string> = {
  admin: "Administrator",
  marketer: "Marketer",
  manager: "Sales manager",
  rep: "Sales rep",
  viewer: "Viewer",
};

export function App() {
  const { me, loading, signOut, can } = useAuth();
  const [opened, { toggle, close }] = useDisclosure();
  const [changing, setChanging] = useState(false);
  const location = useLocation();

  if (loading) {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (!me) return <SignInPage />;

  const places = PLACES.filter((p) => can(p.scope) && (!p.everyones || me.changes_everyones.includes(p.everyones)));
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={3} c="indigo.7">
              Lodestone
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Stack gap={0} visibleFrom="xs" align="flex-end">
              <Text size="sm" fw={600} data-testid="signed-in-as">
                {me.name || me.email}
              </Text>
              <Badge size="xs" variant="light">
                {ROLE_NAMES[me.role] ?? me.role}
              </Badge>
            </Stack>
            {/* On a phone, icons only: the header keeps one line (the names stay for screen readers). */}
            <Button variant="subtle" px={6} aria-label="Password" title="Change your password" leftSection={<IconKey size={16} />} onClick={() => setChanging(true)}>
              <Box visibleFrom="xs">Password</Box>
            </Button>
            <Button variant="subtle" px={6} aria-label="Sign out" title="Sign out" leftSection={<IconLogout size={16} />} onClick={signOut}>
              <Box visibleFrom="xs">Sign out</Box>
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {places.map((p) => (
          <NavLink
            key={p.to}
            component={Link}
            to={p.to}
            label={p.label}
            leftSection={p.icon}
            active={location.pathname.startsWith(p.to)}
            onClick={close}
          />
        ))}
      </AppShell.Navbar>
      {changing && <ChangePassword onClose={() => setChanging(false)} />}
      <AppShell.Main>
        <Routes>
          <Route path="/" element={<Navigate to={me.rep_id ? "/day" : places[0]?.to ?? "/contacts"} replace />} />
          <Route path="/day" element={<MyDayPage />} />
          <Route path="/contacts" element={<ContactsPage />} />
          <Route path="/contacts/:id" element={<ContactPage />} />
          <Route path="/reports" element={<ReportsPage />} />
          <Route path="/import" element={<ImportPage />} />
          <Route path="/segments" element={<SegmentsPage />} />
          <Route path="/scoring" element={<ScoringPage />} />
          <Route path="/workflows" element={<WorkflowsPage />} />
          <Route path="/emails" element={<EmailsPage />} />
          <Route path="/campaigns" element={<CampaignsPage />} />
          <Route path="/reps" element={<RepsPage />} />
          <Route path="/users" element={<UsersPage />} />
          <Route path="/api-keys" element={<ApiKeysPage />} />
          <Route path="/dead-letters" element={<DeadLettersPage />} />
          <Route path="/audit" element={<AuditPage />} />
          <Route path="*" element={<Text>There is no page here.</Text>} />
        </Routes>
      </AppShell.Main>
    </AppShell>
  );
}
