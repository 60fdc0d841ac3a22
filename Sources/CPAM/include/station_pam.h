// The one PAM call the console needs: check an account's password through a PAM service (Debian's libpam).
#ifndef STATION_PAM_H
#define STATION_PAM_H

/// Authenticates `user` with `password` through the PAM `service` (pam_authenticate, then pam_acct_mgmt, both
/// PAM_SILENT). The conversation answers every hidden prompt with the password and every visible prompt with the
/// user name; the password is copied only into PAM's own answer buffers. Returns PAM_SUCCESS (0) or PAM's error.
int station_pam_authenticate(const char *service, const char *user, const char *password);

#endif
