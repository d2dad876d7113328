#include "formats/bytes.h"

#include <stdlib.h>

bool br_str(struct byte_reader *r, char **out, size_t *len_ret)
{
	uint16_t len = br_u16(r);
	const uint8_t *p = br_take(r, len);
	char *s;

	if (!p)
		len = 0;
	s = malloc((size_t)len + 1);
	if (!s)
		return false;
	if (len)
		memcpy(s, p, len);
	s[len] = '\0';
	*out = s;
	if (len_ret)
		*len_ret = len;
	return true;
}
