/** An address from the config, parsed at start: a bad one is a ServiceStartError naming its element. */
import { parseEndpoint, type Endpoint } from "../io/endpoint.ts";
import { ServiceStartError } from "./service_start_error.ts";

/** Parses `text`, the value of config element `element`; throws ServiceStartError "element: reason". */
export function startEndpoint(text: string, element: string): Endpoint {
  try {
    return parseEndpoint(text);
  } catch (error) {
    throw new ServiceStartError(`${element}: ${(error as Error).message}`);
  }
}
