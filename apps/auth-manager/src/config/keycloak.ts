interface KeycloakLocation {
  readonly KEYCLOAK_ISSUER?: string;
  readonly KEYCLOAK_SERVER_URL?: string;
  readonly KEYCLOAK_REALM?: string;
}

const REALM_ISSUER = /^(?<server>https?:\/\/.+?)\/realms\/(?<realm>[^/]+)\/?$/;

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * The OIDC issuer: KEYCLOAK_ISSUER as given (discovery compares it exactly), else `<server>/realms/<realm>`.
 * Undefined until one of them is configured.
 */
export function keycloakIssuer(location: KeycloakLocation): string | undefined {
  if (location.KEYCLOAK_ISSUER) return location.KEYCLOAK_ISSUER;
  if (location.KEYCLOAK_SERVER_URL && location.KEYCLOAK_REALM) {
    return `${withoutTrailingSlash(location.KEYCLOAK_SERVER_URL)}/realms/${location.KEYCLOAK_REALM}`;
  }
  return undefined;
}

/** Keycloak's admin REST API for the realm (`<server>/admin/realms/<realm>`), when the issuer is a Keycloak realm. */
export function keycloakAdminBaseUrl(location: KeycloakLocation): string | undefined {
  if (location.KEYCLOAK_SERVER_URL && location.KEYCLOAK_REALM) {
    return `${withoutTrailingSlash(location.KEYCLOAK_SERVER_URL)}/admin/realms/${location.KEYCLOAK_REALM}`;
  }
  const match = location.KEYCLOAK_ISSUER ? REALM_ISSUER.exec(location.KEYCLOAK_ISSUER) : null;
  return match?.groups ? `${match.groups['server']}/admin/realms/${match.groups['realm']}` : undefined;
}
