// The console's login through PAM: a conversation function that answers the password, nothing else.
#include "station_pam.h"

#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

struct station_pam_credentials {
    const char *user;
    const char *password;
};

static int station_pam_conversation(int count, const struct pam_message **messages, struct pam_response **answers,
                                    void *data) {
    const struct station_pam_credentials *credentials = data;
    if (count <= 0 || count > PAM_MAX_NUM_MSG) return PAM_CONV_ERR;
    struct pam_response *replies = calloc((size_t)count, sizeof(struct pam_response));
    if (replies == NULL) return PAM_BUF_ERR;
    for (int index = 0; index < count; index++) {
        const char *answer = NULL;
        switch (messages[index]->msg_style) {
        case PAM_PROMPT_ECHO_OFF: answer = credentials->password; break;
        case PAM_PROMPT_ECHO_ON: answer = credentials->user; break;
        case PAM_ERROR_MSG:
        case PAM_TEXT_INFO: break;
        default:
            for (int done = 0; done < index; done++) {
                if (replies[done].resp != NULL) {
                    explicit_bzero(replies[done].resp, strlen(replies[done].resp));
                    free(replies[done].resp);
                }
            }
            free(replies);
            return PAM_CONV_ERR;
        }
        if (answer != NULL) {
            replies[index].resp = strdup(answer);
            if (replies[index].resp == NULL) {
                for (int done = 0; done < index; done++) free(replies[done].resp);
                free(replies);
                return PAM_BUF_ERR;
            }
        }
    }
    *answers = replies;
    return PAM_SUCCESS;
}

int station_pam_authenticate(const char *service, const char *user, const char *password) {
    struct station_pam_credentials credentials = {user, password};
    struct pam_conv conversation = {station_pam_conversation, &credentials};
    pam_handle_t *handle = NULL;
    int status = pam_start(service, user, &conversation, &handle);
    if (status != PAM_SUCCESS) return status;
    status = pam_authenticate(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    if (status == PAM_SUCCESS) status = pam_acct_mgmt(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    pam_end(handle, status);
    return status;
}
