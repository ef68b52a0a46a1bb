// What the signed-in user may do, from the API (`viewer.allowed`) — the tenant's one policy,
// never a copy of it here. The shell asks once for every `object:action` the console uses;
// pages hide what is not allowed and say who to ask instead.
import { createContext, useContext } from 'react';

/** Every permission a screen or button of the console depends on. */
export const ACTIONS = [
  'api_key:create',
  'api_key:read',
  'api_key:revoke',
  'approval:approve',
  'approval:read',
  'audit:read',
  'audit:verify',
  'carrier:read',
  'carrier:reconcile',
  'carrier_settings:update',
  'catalog:create',
  'catalog:read',
  'catalog:update',
  'contract:read',
  'customer:create',
  'customer:read',
  'customer:update',
  'inventory:create',
  'inventory:read',
  'line:read',
  'line:review',
  'line:carrier_retry',
  'line:resume',
  'line:suspend',
  'notification:create',
  'notification:delete',
  'notification:read',
  'notification:replay',
  'notification:update',
  'order:cancel',
  'order:create',
  'order:read',
  'plugin:activate',
  'plugin:create',
  'plugin:read',
  'plugin:replay',
  'plugin:update',
  'policy:create',
  'policy:delete',
  'search:read',
  'self_service:read',
  'self_service:request',
  'tenant:create',
  'tenant:read',
  'usage:read',
  'usage:update',
  'user:create',
  'user:read',
  'webhook:create',
  'webhook:update',
] as const;

export type Action = (typeof ACTIONS)[number];

export interface Viewer {
  tenantId: string;
  tenantSlug: string;
  actorLabel: string;
  roles: string[];
  selfService: boolean;
  allowed: string[];
}

export const ViewerContext = createContext<Viewer | null>(null);

export function useViewer(): Viewer | null {
  return useContext(ViewerContext);
}

/** Whether the viewer may do `action` (false until the viewer is known). */
/** Whether a row belongs to the viewer's own tenant: a parent tenant reads its resellers'
 * rows but changes only its own (the API refuses the rest). */
export function useOwn(): (tenantId: string | null | undefined) => boolean {
  const v = useContext(ViewerContext);
  return (t) => !!v && t === v.tenantId;
}

export function useCan(): (action: Action) => boolean {
  const v = useContext(ViewerContext);
  return (a) => v?.allowed.includes(a) ?? false;
}
