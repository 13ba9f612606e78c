import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { setCsrf } from "./api";
import type { Me } from "./types";
import { consoleApi, ok } from "./client";

interface AuthState {
  me: Me | null;
  loading: boolean;
  signIn: (email: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  can: (scope: string) => boolean;
  /** Whether the person may change a record of `area` owned by the rep `ownerId` (the services enforce the same rule). */
  canChange: (area: "contacts" | "tasks", ownerId: string | null | undefined) => boolean;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);

  const adopt = (who: Me | null) => {
    setCsrf(who?.csrf ?? "");
    setMe(who);
  };

  useEffect(() => {
    ok(consoleApi.GET("/auth/me"))
      .then(adopt)
      .catch(() => adopt(null))
      .finally(() => setLoading(false));
    const lost = () => adopt(null);
    window.addEventListener("lodestone:signed-out", lost);
    return () => window.removeEventListener("lodestone:signed-out", lost);
  }, []);

  const signIn = useCallback(async (email: string, password: string) => {
    adopt(await ok(consoleApi.POST("/auth/sign-in", { body: { email, password } })));
  }, []);

  const signOut = useCallback(async () => {
    try {
      await consoleApi.POST("/auth/sign-out");
    } finally {
      adopt(null);
    }
  }, []);

  const can = useCallback(
    (scope: string) => {
      if (!me) return false;
      const area = scope.split(":")[0];
      return me.scopes.includes("admin") || me.scopes.includes(scope) || me.scopes.includes(`${area}:*`);
    },
    [me],
  );

  const canChange = useCallback(
    (area: "contacts" | "tasks", ownerId: string | null | undefined) =>
      can(`${area}:write`) && (me!.changes_everyones.includes(area) || !ownerId || ownerId === me!.rep_id),
    [me, can],
  );

  return <AuthContext.Provider value={{ me, loading, signIn, signOut, can, canChange }}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth outside AuthProvider");
  return state;
}
