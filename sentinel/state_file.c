// SPDX-License-Identifier: BSD-3-Clause
/*
 * The state file on disk: the atomic replace of <dir>/vigil.state (tmp, fsync, rename, fsync of
 * the directory) and its bounded read. Bytes only: it never parses or judges the content (that is
 * state.c), and it never writes anywhere but <dir>.
 */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int state_path(char *buf, size_t size, const char *dir, const char *file)
{
	if (dir[0] == '\0') /* not "/vigil.state" by accident */
		return -EINVAL;
	int n = snprintf(buf, size, "%s/%s", dir, file);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) != 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* Write, flush and close the temporary file. Returns 0 or -errno; *step names what failed. */
static int write_tmp(const char *tmp, const char *text, size_t len, const char **step)
{
	*step = "open";
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	int rc = 0;
	*step = "chmod"; /* an old .tmp keeps its mode through O_CREAT */
	if (fchmod(fd, 0600) != 0)
		rc = -errno;
	if (rc == 0) {
		*step = "write";
		rc = write_all(fd, text, len);
	}
	if (rc == 0) {
		*step = "fsync";
		rc = fsync(fd) != 0 ? -errno : 0;
	}
	if (close(fd) != 0 && rc == 0) {
		*step = "close";
		rc = -errno;
	}
	return rc;
}

int sn_state_write(const char *dir, const char *text, size_t len, struct sn_err *err)
{
	char path[SN_PATH_MAX + 32];
	char tmp[SN_PATH_MAX + 32];
	const char *step = "";
	int rc = state_path(path, sizeof(path), dir, SN_STATE_FILE);
	if (rc == 0)
		rc = state_path(tmp, sizeof(tmp), dir, SN_STATE_TMP_FILE);
	if (rc != 0) {
		sn_err_set(err, "state file in \"%.256s\": bad directory name", dir);
		return rc;
	}
	rc = write_tmp(tmp, text, len, &step);
	if (rc == 0 && rename(tmp, path) != 0) {
		step = "rename";
		rc = -errno;
	}
	if (rc != 0) {
		unlink(tmp);
		sn_err_set(err, "%s %.400s: %s", step, tmp, strerror(-rc));
		return rc;
	}
	rc = sync_dir(dir);
	if (rc != 0)
		sn_err_set(err, "fsync directory %.400s: %s", dir, strerror(-rc));
	return rc;
}

/* Read the open file fd (regular, at most max bytes) into a NUL-terminated buffer. */
static int read_fd(int fd, size_t max, char **text, size_t *len)
{
	struct stat sb;
	if (fstat(fd, &sb) != 0)
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;
	if (sb.st_size < 0 || (uint64_t)sb.st_size > max)
		return -EFBIG;
	size_t cap = (size_t)sb.st_size + 1; /* one byte more: notice a file that grew */
	char *buf = malloc(cap + 1);
	if (buf == NULL)
		return -ENOMEM;
	size_t n = 0;
	ssize_t r = 1;
	while (n < cap && r != 0) {
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno != EINTR) {
			int rc = -errno;
			free(buf);
			return rc;
		}
		n += r > 0 ? (size_t)r : 0;
	}
	if (n == cap) { /* written to while we read (not by vigil, which renames): refuse */
		free(buf);
		return -EAGAIN;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int sn_state_read(const char *dir, char **text, size_t *len, struct sn_err *err)
{
	char path[SN_PATH_MAX + 32];
	int rc = state_path(path, sizeof(path), dir, SN_STATE_FILE);
	if (rc != 0) {
		sn_err_set(err, "state file in \"%.256s\": bad directory name", dir);
		return rc;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	rc = fd < 0 ? -errno : read_fd(fd, SN_STATE_SIZE_MAX, text, len);
	if (fd >= 0)
		close(fd);
	if (rc == -ENOENT)
		sn_err_set(err, "%.400s: no state file (first start)", path);
	else if (rc == -EFBIG)
		sn_err_set(err, "%.400s: bigger than %u bytes", path, SN_STATE_SIZE_MAX);
	else if (rc == -EINVAL)
		sn_err_set(err, "%.400s: not a regular file", path);
	else if (rc != 0)
		sn_err_set(err, "%.400s: %s", path, strerror(-rc));
	return rc;
}
