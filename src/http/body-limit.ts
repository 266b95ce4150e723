import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit as countingLimit } from 'hono/body-limit';

/**
 * The request body limit, read from the headers whenever they tell the size. Hono's own bodyLimit
 * starts by reading `c.req.raw.body`, which makes @hono/node-server build a full web Request with
 * a stream around Node's request, for every request: 8 % of the service's thread under a thousand
 * trainers sending small batches (npm run bench -- --only load). Without that, the routes read the
 * body straight from Node's request. Only a chunked body, whose size is known once it is read,
 * goes through Hono's counting stream.
 */
export function bodyLimit(maxSize: number, onError: (c: Context) => Response | Promise<Response>): MiddlewareHandler {
  const counting = countingLimit({ maxSize, onError });
  return async (c, next) => {
    if (c.req.header('transfer-encoding') !== undefined) return counting(c, next);
    const length = c.req.header('content-length');
    // Neither header: HTTP/1.1 says there is no body.
    if (length === undefined) return next();
    return parseInt(length || '0', 10) > maxSize ? onError(c) : next();
  };
}
