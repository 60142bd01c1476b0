/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A doubly linked list in the style of systemd's list.h. */
#define LIST_FIELDS(t, name) t *name##_next, *name##_prev

#define LIST_PREPEND(name, head, item)                                  \
        do {                                                            \
                typeof(*(head)) **_head = &(head), *_item = (item);     \
                if ((_item->name##_next = *_head))                      \
                        _item->name##_next->name##_prev = _item;        \
                _item->name##_prev = NULL;                              \
                *_head = _item;                                         \
        } while (0)

#define LIST_APPEND(name, head, item)                                   \
        do {                                                            \
                typeof(*(head)) **_h = &(head), *_i = (item), *_t = *_h; \
                _i->name##_next = NULL;                                 \
                if (!_t) {                                              \
                        _i->name##_prev = NULL;                         \
                        *_h = _i;                                       \
                } else {                                                \
                        while (_t->name##_next)                         \
                                _t = _t->name##_next;                   \
                        _t->name##_next = _i;                           \
                        _i->name##_prev = _t;                           \
                }                                                       \
        } while (0)

#define LIST_REMOVE(name, head, item)                                   \
        do {                                                            \
                typeof(*(head)) **_head = &(head), *_item = (item);     \
                if (_item->name##_next)                                 \
                        _item->name##_next->name##_prev = _item->name##_prev; \
                if (_item->name##_prev)                                 \
                        _item->name##_prev->name##_next = _item->name##_next; \
                else                                                    \
                        *_head = _item->name##_next;                    \
                _item->name##_next = _item->name##_prev = NULL;         \
        } while (0)

#define LIST_FOREACH(name, i, head) \
        for (typeof(head) i = (head); i; i = i->name##_next)

#define LIST_FOREACH_SAFE(name, i, n, head) \
        for (typeof(head) i = (head), n = i ? i->name##_next : NULL; i; \
             i = n, n = i ? i->name##_next : NULL)
