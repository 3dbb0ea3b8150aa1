/**
 * The region of the SDK's own resolution, for a front door that is not given one (the CLI).
 * No AWS call: it reads the environment and the shared config files only.
 */
import { KMSClient } from '@aws-sdk/client-kms';

/**
 * AWS_REGION, else the profile's `region` in the shared config files (AWS_PROFILE, SSO profiles
 * included); undefined when there is none.
 */
export async function resolveDefaultRegion(): Promise<string | undefined> {
  try {
    return await new KMSClient({}).config.region();
  } catch {
    return undefined;
  }
}
