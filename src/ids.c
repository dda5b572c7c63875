/* UUIDs from libuuid; Message-IDs built on them. */
#include "ids.h"

#include <uuid/uuid.h>

char *ids_new_uuid(void)
{
	uuid_t id;
	char text[37];
	uuid_generate_random(id);
	uuid_unparse_lower(id, text);
	return g_strdup(text);
}

char *ids_new_message_id(const char *domain)
{
	g_autofree char *uuid = ids_new_uuid();
	return g_strdup_printf("overture.%s@%s", uuid, domain);
}
